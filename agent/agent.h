/*
 * gatehouse-agent's commands. Each is a main-like entry point taking the
 * arguments after its name.
 */
#ifndef AGENT_H
#define AGENT_H

/* The configuration file when -f gives none. */
#define AGENT_CONF	"/etc/gatehouse/gatehouse.conf"

/* cmd-analyze.c */
int	cmd_analyze_exec(int argc, char **argv);
int	cmd_compare_exec(int argc, char **argv);
int	cmd_match_exec(int argc, char **argv);

/* cmd-store.c */
int	cmd_verify_log_exec(int argc, char **argv);

/* cmd-calibrate.c */
int	cmd_calibrate_exec(int argc, char **argv);

/* cmd-dial.c */
int	cmd_dial_stdio_exec(int argc, char **argv);

#endif
