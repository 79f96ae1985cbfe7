/*
 * core/atna.h - forwarding audit messages to an ATNA audit record repository.
 *
 * IHE ITI-20 (Record Audit Event): each audit message goes out as an RFC 5424 syslog
 * message (facility authpriv, severity notice, MSGID "IHE+RFC-3881") over TLS, framed by
 * octet counting as RFC 5425 4.3 requires. The local signed log stays the record of
 * truth; forwarding is best effort but loses nothing the kiosk survives: each message
 * is first written to a queue directory (one file per log entry, atomic rename), and a
 * file is removed only once it was written to the TLS connection. The repository's
 * certificate is checked against a CA file and the configured host name or IP.
 *
 * The caller enqueues after ho_ledger_append succeeded and calls ho_atna_flush from time
 * to time (after each append, and from an idle timer); after a failure flush waits with
 * exponential backoff (2 s doubling to 5 min) unless forced. ho_atna is not thread-safe;
 * free with ho_atna_free (NULL is a no-op).
 */
#ifndef HO_CORE_ATNA_H
#define HO_CORE_ATNA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define HO_ATNA_OPTS_VERSION 1

typedef struct ho_atna_opts {
	unsigned version;
	const char *host;      /* repository host name or IP */
	unsigned port;         /* 6514 (RFC 5425) by default */
	const char *ca_file;   /* PEM CA(s) the repository's certificate must chain to */
	const char *cert_file; /* client certificate for mutual TLS (ITI-19), optional */
	const char *key_file;
	const char *queue_dir; /* on-disk queue (created 0700) */
	const char *hostname;  /* HOSTNAME field; default gethostname() */
	const char *app_name;  /* APP-NAME field; default "handoff" */
	unsigned timeout_ms;   /* connect / write timeout; default 5000 */
	size_t queue_max;      /* messages kept at most; default 100000 */
} ho_atna_opts;

/* Largest audit message forwarded (the log body cap). */
#define HO_ATNA_MSG_XML_MAX (512u * 1024u)

#define HO_ATNA_OPTS_INIT                                                                          \
	{                                                                                          \
		HO_ATNA_OPTS_VERSION, NULL, 6514, NULL, NULL, NULL, NULL, NULL, NULL, 5000, 100000 \
	}

typedef struct ho_atna ho_atna;

int ho_atna_new(ho_atna **out, const ho_atna_opts *opts, ho_err *err)
    __attribute__((warn_unused_result));

/* Queues one audit message (the exact bytes stored in the log entry seq). */
int ho_atna_enqueue(ho_atna *a, uint64_t seq, const void *xml, size_t len, ho_err *err)
    __attribute__((warn_unused_result));

/* Sends queued messages in order. *sent (may be NULL) counts those delivered. Returns 0
 * when the queue is empty, HO_ENET when the repository could not be reached (queue
 * kept; also while backing off after a failure unless force). */
int ho_atna_flush(ho_atna *a, bool force, size_t *sent, ho_err *err)
    __attribute__((warn_unused_result));

/* Messages waiting in the queue, or -1 if the queue cannot be read. */
long ho_atna_pending(ho_atna *a);

void ho_atna_free(ho_atna *a);

/* Formats the RFC 5424 message (without framing) into a malloc'ed buffer. */
int ho_atna_format(char **out, size_t *len, const char *hostname, const char *app_name,
                   int64_t utc_ns, const void *xml, size_t xml_len)
    __attribute__((warn_unused_result));

#endif
