/*
 * libFuzzer target for the control protocol (shared/proto.c). The input is
 * one line, parsed as a request (agent side) and as a reply or event
 * (console side). What parses is built again with the builders and must
 * parse again to the same thing; every error reply to a refused request
 * must parse as a reply echoing the id. No builder output holds '\n'.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parses a builder's LINE as a reply or event, which it must be. */
static void
must_parse(char *line, struct proto_reply *rep)
{
	char	*message;

	if (strchr(line, '\n') != NULL)
		abort();
	if (proto_parse_reply(line, strlen(line), rep, &message) != 0)
		abort();
	free(message);
}

/* The request side: parse, then rebuild and reparse, or check the error. */
static void
request(const char *line, size_t len)
{
	struct proto_request	 req, again;
	struct proto_reply	 rep;
	enum proto_error	 code;
	char			*message, *out;

	if (proto_parse_request(line, len, &req, &code, &message) == 0) {
		if (message != NULL || req.cmd == NULL || req.id < 0)
			abort();
		out = proto_request(req.id, req.cmd->name,
		    cJSON_Duplicate(req.args, 1));
		if (strchr(out, '\n') != NULL)
			abort();
		if (proto_parse_request(out, strlen(out), &again, &code,
		    &message) != 0 || again.id != req.id ||
		    again.cmd != req.cmd ||
		    !cJSON_Compare(again.args, req.args, 1))
			abort();
		proto_request_clear(&again);
		free(out);
		out = proto_reply_ok(req.id, cJSON_Duplicate(req.args, 1));
		must_parse(out, &rep);
		if (rep.kind != PROTO_REPLY || !rep.ok || rep.id != req.id)
			abort();
		proto_reply_clear(&rep);
		free(out);
	} else {
		if (message == NULL || code == PROTO_OK)
			abort();
		out = proto_reply_error(req.id, code, "%s", message);
		must_parse(out, &rep);
		if (rep.kind != PROTO_REPLY || rep.ok || rep.id != req.id ||
		    rep.code != code)
			abort();
		proto_reply_clear(&rep);
		free(out);
		free(message);
	}
	proto_request_clear(&req);
}

/* The console side: parse, then rebuild and reparse. */
static void
reply(const char *line, size_t len)
{
	struct proto_reply	 rep, again;
	cJSON			*extra, *c;
	char			*message, *out;

	if (proto_parse_reply(line, len, &rep, &message) != 0) {
		if (message == NULL)
			abort();
		free(message);
		proto_reply_clear(&rep);
		return;
	}
	if (rep.kind == PROTO_EVENT) {
		extra = cJSON_Duplicate(rep.root, 1);
		out = proto_event(rep.type, rep.time, rep.door, rep.person,
		    extra);
		must_parse(out, &again);
		if (again.kind != PROTO_EVENT ||
		    strcmp(again.type, rep.type) != 0 ||
		    again.time != rep.time ||
		    strcmp(again.door, rep.door) != 0 ||
		    (again.person == NULL) != (rep.person == NULL) ||
		    (rep.person && strcmp(again.person, rep.person) != 0))
			abort();
		/* Every other member came across unchanged. */
		cJSON_ArrayForEach(c, rep.root) {
			if (!cJSON_Compare(c, cJSON_GetObjectItemCaseSensitive(
			    again.root, c->string), 1))
				abort();
		}
	} else if (rep.ok) {
		out = proto_reply_ok(rep.id, cJSON_Duplicate(rep.result, 1));
		must_parse(out, &again);
		if (!again.ok || again.id != rep.id ||
		    !cJSON_Compare(again.result, rep.result, 1))
			abort();
	} else {
		out = proto_reply_error(rep.id, rep.code, "%s", rep.message);
		must_parse(out, &again);
		if (again.ok || again.id != rep.id || again.code != rep.code)
			abort();
		/* Messages over 1 KB are cut; shorter ones come back whole. */
		if (strlen(rep.message) < 1000 &&
		    strcmp(again.message, rep.message) != 0)
			abort();
	}
	proto_reply_clear(&again);
	proto_reply_clear(&rep);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*line;

	/* The framing hands over a NUL-terminated copy; so do we. */
	if ((line = malloc(size + 1)) == NULL)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	request(line, size);
	reply(line, size);
	free(line);
	return 0;
}
