/*
 * Redaction for sharing an export outside the on-call team: user names,
 * workspace names, hostnames and URLs become stable pseudonyms ("host-1",
 * "user-2", "https://url-3.invalid"). The same name always maps to the same
 * pseudonym within one redactor, so one export stays internally consistent.
 */
#ifndef SCALETOP_REDACT_H
#define SCALETOP_REDACT_H

#include "backend/snapshot.h"

struct redact;

/* A new, empty redactor; caller frees with redact_free. */
struct redact *redact_new(void);
void redact_free(struct redact *r);

/* Rewrites every identifying string of s in place (names, hosts, URLs, and
 * any occurrence of them inside messages, errors and evidence). s must not be
 * shared with another thread while this runs. */
void redact_snapshot(struct redact *r, struct snapshot *s);

/* Redacts free text with the names learnt so far (and any URL in it);
 * caller frees. */
char *redact_text(struct redact *r, const char *text);

#endif
