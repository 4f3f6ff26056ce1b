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
 *	RENDER_DITHER		libcaca's dithered characters (the shades
 *				" ·░▒") in 16 colours, or without colour when
 *				NO_COLOR is set or the terminal has none
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
 * start_color()): RENDER_TRUECOLOR when ncurses runs it in direct colour
 * (its terminfo entry has the RGB capability and 2^24 colours, as
 * TERM=xterm-direct does), RENDER_256 with 256 colours, else
 * RENDER_DITHER. COLORTERM=truecolor alone does not give
 * RENDER_TRUECOLOR: ncurses only sends the colours terminfo describes,
 * so with TERM=xterm-256color that is RENDER_256. NO_COLOR set (to
 * anything, even empty) gives RENDER_DITHER, drawn without colour.
 */
enum render_mode render_best_mode(void);

/* Whether NO_COLOR asks for no colour (set to a non-empty value). */
int	 render_no_color(void);

/*
 * Makes the W x H grid of the JPEG photo BUF (LEN bytes) in MODE: the
 * photo is fitted into the grid keeping its aspect ratio, scaled with a
 * box filter (RENDER_256, RENDER_TRUECOLOR) or by libcaca's dither, and
 * centred; the cells around it are blank (" ", colours -1). Only JPEG:
 * the agent's photos are JPEG crops. A truncated scan shows the part
 * that decodes. Returns NULL with *cause for data that is not a JPEG
 * photo, a photo over 32 megapixels once scaled, or a size under 1 x 1
 * or over 4096 x 4096.
 */
struct render_grid *render_photo(const uint8_t *buf, size_t len, int w,
	    int h, enum render_mode mode, char **cause);

/*
 * Makes the grid of the QR code of TEXT (mode RENDER_DITHER), quiet zone
 * included: one module per cell across, two down. The characters draw
 * the light modules, in bright white (15) on black (0): with colour the
 * dark modules are black whatever the terminal's own colours, and as
 * plain text (render_text) on a light-on-dark terminal the light modules
 * still come out light. Returns NULL with *cause when the text is too
 * long for a QR code (2331 bytes at level M).
 */
struct render_grid *render_qr(const char *text, char **cause);

/*
 * Draws GRID into the ncurses window WIN at (Y, X), clipped to the window
 * (Y and X may be negative). Needs setlocale() to a UTF-8 locale and,
 * for colour, start_color(); blank cells use pair 0.
 *
 * Colour pairs come from ncurses' pair cache (alloc_pair): the same
 * colours give the same pair, so drawing again (on a resize) takes no new
 * pairs; once the whole table is used, ncurses reuses the least recently
 * allocated pair. Colours are converted to what the terminal has: RGB in
 * direct colour, the 256-colour palette, or the nearest of 16 or 8.
 *
 * Without colour (NO_COLOR set, no colours, or start_color() not called)
 * only characters are drawn, the terminal's foreground standing for the
 * lighter colour: a shade (" ·░▒▓█") is replaced by the shade of its
 * cell's lightness, as a 16-colour dither's own shades mean nothing
 * without their colours; any other character (half blocks) is drawn with
 * A_REVERSE where its background is lighter than its foreground.
 * Returns 0, or -1 if nothing fits.
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
