/*
 * Pictures in a terminal: a visitor's face photo (a JPEG from the agent)
 * and a pass's QR code, drawn into an ncurses window.
 *
 * Each picture is first made into a grid of character cells that does not
 * depend on ncurses (struct render_grid), so that it can be tested and
 * decoded again; render_draw() then puts a grid into a window.
 *
 * Photos have three modes, chosen by render_best_mode() from what the
 * terminal can show:
 *
 *	RENDER_TRUECOLOR	half blocks ("▀", the top pixel as the
 *				foreground, the bottom one as the background)
 *				in 24-bit colour: two pixels per cell
 *	RENDER_256		the same half blocks in the 256-colour palette
 *	RENDER_DITHER		libcaca's dithered characters in 16 colours,
 *				or without colour when NO_COLOR is set or the
 *				terminal has none
 *
 * A photo is fitted into the cells given, keeping its aspect ratio (a
 * cell is about twice as tall as it is wide) and centred.
 *
 * A QR code (libqrencode, 8-bit data, error correction level M) is drawn
 * with half blocks, two modules per cell vertically and one horizontally,
 * dark modules dark, with the 4-module quiet zone the standard asks for,
 * so that a phone or zbar can read it off the screen.
 */
#ifndef RENDER_H
#define RENDER_H

#include <stddef.h>
#include <stdint.h>

enum render_mode {
	RENDER_DITHER,
	RENDER_256,
	RENDER_TRUECOLOR,
};

/* One character cell: a UTF-8 character and its colours. */
struct render_cell {
	char		ch[5];		/* UTF-8, NUL-terminated */
	int		fg;		/* see below, -1 for the default */
	int		bg;
};

/*
 * A grid of W x H cells, row-major. Colours are 0xRRGGBB in
 * RENDER_TRUECOLOR, 0..255 in RENDER_256, and 0..15 (the ANSI colours) in
 * RENDER_DITHER and for QR codes (0 black, 15 bright white).
 */
struct render_grid {
	int			 w;
	int			 h;
	enum render_mode	 mode;
	struct render_cell	*cells;
};

void	 render_grid_free(struct render_grid *);

/*
 * The best photo mode for the terminal ncurses has started on (after
 * start_color()): RENDER_TRUECOLOR when COLORTERM is "truecolor" or
 * "24bit" and ncurses can set direct colours, RENDER_256 with 256
 * colours, else RENDER_DITHER. NO_COLOR set (to anything) gives
 * RENDER_DITHER without colour.
 */
enum render_mode render_best_mode(void);

/*
 * Makes the grid of the JPEG (or PNG) photo BUF fitted into at most W x H
 * cells in MODE. Returns NULL with *cause for an image that does not
 * decode or a size under 1 x 1.
 */
struct render_grid *render_photo(const uint8_t *buf, size_t len, int w,
	    int h, enum render_mode mode, char **cause);

/*
 * Makes the grid of the QR code of TEXT. Returns NULL with *cause when
 * the text is too long for a QR code.
 */
struct render_grid *render_qr(const char *text, char **cause);

/*
 * Draws GRID into the ncurses window WIN at (Y, X), clipped to the window.
 * Colour pairs are allocated as needed (and reused); without colour
 * support, cells are drawn with A_REVERSE where their background is
 * lighter than their foreground. Returns 0, or -1 if nothing fits.
 */
struct _win_st;
int	 render_draw(struct _win_st *win, int y, int x,
	    const struct render_grid *grid);

/*
 * The text of a grid as UTF-8 lines (for tests and the batch mode's QR:
 * "gatehouse approve --text" prints the pass's code this way), ending
 * with '\n'. Malloc'd.
 */
char	*render_text(const struct render_grid *);

#endif
