/*
 * The kiosk (gatehouse.1 KIOSK): a full-screen console for the door's own
 * screen and keyboard. It follows what the door sees ("watch", doc/PROTOCOL
 * 4.21) and says it in big letters a visitor can read across a room: step
 * closer, hold still, welcome, sorry, please wait. An unknown visitor
 * waiting for a guard is asked for a name and an e-mail address, which go
 * onto their pending request ("visitor", 4.20); a visitor with a pass
 * types its PIN, which the agent checks ("pin", 4.23).
 *
 * It offers nothing else: no key leaves it or shows another visitor, and
 * only a PIN the agent takes opens the door; every byte a keyboard can
 * send is either typed into the form or the PIN, or ignored. It runs
 * until SIGTERM or SIGHUP (SIGINT and Ctrl-C are ignored: an
 * administrator stops it with a signal). A lost agent shows "Out of
 * order" and is connected again after 1 s, 2 s, 4 s ... up to 30 s.
 *
 * One poll(2) loop (shared/loop.h) watches the terminal, the agent's
 * connection, the signals and the screen's timers; curses only draws, and
 * the terminal's bytes are decoded here (kiosk.c: UTF-8, escape sequences,
 * mouse reports), so nothing a terminal sends can reach the form as text
 * except printable characters.
 */
#ifndef KIOSK_H
#define KIOSK_H

/*
 * Runs the kiosk on the terminal (stdin and stdout) for the agent at the
 * Unix socket SOCKET_PATH until SIGTERM or SIGHUP; an agent that is not
 * there yet or goes away is waited for. The terminal is restored on every
 * way out, a fatal error's too. Returns the exit status: 0 after a
 * signal, or 1 with *CAUSE when the terminal cannot be used (not a
 * terminal, an unknown TERM, or it went away).
 */
int	 kiosk_main(const char *socket_path, char **cause);

#endif
