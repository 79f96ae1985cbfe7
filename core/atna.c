#include "core/atna.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"

#define MSG_MAX (600u * 1024u) /* audit message cap plus the syslog header */
#define BACKOFF_MIN_MS 2000
#define BACKOFF_MAX_MS 300000
#define BATCH_MAX 1000 /* messages per session: bounds duplicates after a failure */

struct ho_atna {
	char *host, *ca, *cert, *key, *qdir, *hostname, *app;
	unsigned port, timeout_ms;
	size_t queue_max;
	int64_t next_try_ms;
	unsigned backoff_ms;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_or(const char *s, const char *def)
{
	return s ? strdup(s) : (def ? strdup(def) : NULL);
}

void ho_atna_free(ho_atna *a)
{
	if (a == NULL)
		return;
	free(a->host);
	free(a->ca);
	free(a->cert);
	free(a->key);
	free(a->qdir);
	free(a->hostname);
	free(a->app);
	free(a);
}

int ho_atna_new(ho_atna **out, const ho_atna_opts *o, ho_err *err)
{
	ho_atna *a;
	char host[256] = "handoff";

	*out = NULL;
	if (o == NULL || o->version != HO_ATNA_OPTS_VERSION || o->host == NULL ||
	    o->queue_dir == NULL || o->ca_file == NULL)
		return ho_err_set(err, HO_ECONFIG,
		                  "ATNA forwarding needs a repository host, its CA "
		                  "file and a queue directory");
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	if (gethostname(host, sizeof(host) - 1) != 0)
		memcpy(host, "handoff", 8);
	host[sizeof(host) - 1] = '\0';
	a->port = o->port ? o->port : 6514;
	a->timeout_ms = o->timeout_ms ? o->timeout_ms : 5000;
	a->queue_max = o->queue_max ? o->queue_max : 100000;
	a->host = strdup(o->host);
	a->ca = strdup(o->ca_file);
	a->cert = o->cert_file ? strdup(o->cert_file) : NULL;
	a->key = o->key_file ? strdup(o->key_file) : NULL;
	a->qdir = strdup(o->queue_dir);
	a->hostname = dup_or(o->hostname, host);
	a->app = dup_or(o->app_name, "handoff");
	if (a->host == NULL || a->ca == NULL || a->qdir == NULL || a->hostname == NULL ||
	    a->app == NULL || (o->cert_file && !a->cert) || (o->key_file && !a->key)) {
		ho_atna_free(a);
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	}
	if (ho_fs_mkdir_p(a->qdir, 0700) != 0) {
		int e = errno;
		ho_atna_free(a);
		return ho_err_set(err, HO_EIO, "cannot create the ATNA queue %s: %s", o->queue_dir,
		                  strerror(e));
	}
	*out = a;
	return 0;
}

/* RFC 5424 fields: HOSTNAME and APP-NAME are PRINTUSASCII without spaces (6.2.4, 6.2.5),
 * at most 255 and 48 characters. */
static void sanitize(char *dst, size_t cap, const char *src, size_t max)
{
	size_t o = 0;

	for (; *src && o + 1 < cap && o < max; src++)
		dst[o++] = (*src > 32 && *src < 127) ? *src : '_';
	if (o == 0)
		dst[o++] = '-';
	dst[o] = '\0';
}

int ho_atna_format(char **out, size_t *len, const char *hostname, const char *app_name,
                   int64_t utc_ns, const void *xml, size_t xml_len)
{
	char hn[256], an[49], ts[64], hdr[512];
	struct tm tm;
	time_t t;
	int n;
	char *buf;

	*out = NULL;
	if (xml_len > HO_ATNA_MSG_XML_MAX)
		return HO_ETOOBIG;
	if (utc_ns == 0) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		utc_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	}
	t = (time_t)(utc_ns / 1000000000);
	gmtime_r(&t, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)((utc_ns / 1000000) % 1000));
	sanitize(hn, sizeof(hn), hostname, 255);
	sanitize(an, sizeof(an), app_name, 48);
	/* PRI 85 = authpriv(10) * 8 + notice(5); VERSION 1; PROCID and STRUCTURED-DATA nil;
	 * MSGID "IHE+RFC-3881" as IHE ITI-20 asks. */
	n = snprintf(hdr, sizeof(hdr), "<85>1 %s %s %s - IHE+RFC-3881 - ", ts, hn, an);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return HO_EINVAL;
	if ((buf = malloc((size_t)n + xml_len + 1)) == NULL)
		return HO_ENOMEM;
	memcpy(buf, hdr, (size_t)n);
	memcpy(buf + n, xml, xml_len);
	buf[(size_t)n + xml_len] = '\0';
	*out = buf;
	*len = (size_t)n + xml_len;
	return 0;
}

static int name_ok(const char *n)
{
	size_t l = strlen(n);
	if (l != 24 || strcmp(n + 20, ".msg") != 0)
		return 0;
	for (int i = 0; i < 20; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Queue file names in order; *n is the count. */
static int list_queue(ho_atna *a, char ***names, size_t *n)
{
	DIR *d = opendir(a->qdir);
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return HO_EIO;
	while ((de = readdir(d)) != NULL) {
		if (!name_ok(de->d_name))
			continue;
		if (cnt == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
			if (nv == NULL)
				goto nomem;
			v = nv;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL)
			goto nomem;
		cnt++;
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	return HO_ENOMEM;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

long ho_atna_pending(ho_atna *a)
{
	char **v;
	size_t n;

	if (list_queue(a, &v, &n) != 0)
		return -1;
	free_list(v, n);
	return (long)n;
}

int ho_atna_enqueue(ho_atna *a, uint64_t seq, const void *xml, size_t len, ho_err *err)
{
	char *msg = NULL, *path = NULL;
	size_t ml = 0;
	long pending = ho_atna_pending(a);
	int rc;

	if (pending >= 0 && (size_t)pending >= a->queue_max)
		return ho_err_set(err, HO_ETOOBIG,
		                  "the ATNA queue holds %ld messages; the audit "
		                  "repository has been unreachable for long: call "
		                  "the administrator (the local log is complete)",
		                  pending);
	if ((rc = ho_atna_format(&msg, &ml, a->hostname, a->app, 0, xml, len)) != 0)
		return ho_err_set(err, rc, "cannot format the syslog message");
	if ((path = ho_strfmt("%s/%020" PRIu64 ".msg", a->qdir, seq)) == NULL) {
		free(msg);
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	}
	rc = ho_fs_write_atomic(path, msg, ml, 0600, err);
	free(msg);
	free(path);
	return rc;
}

static int wait_fd(int fd, short ev, unsigned ms)
{
	struct pollfd p = {fd, ev, 0};
	int r;

	do
		r = poll(&p, 1, (int)ms);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

static int tcp_connect(ho_atna *a, ho_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", a->port);
	if ((rc = getaddrinfo(a->host, port, &hints, &res)) != 0) {
		ho_err_set(err, HO_ENET, "cannot resolve the audit repository %s: %s", a->host,
		           gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		            ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(fd, POLLOUT, a->timeout_ms) == 0 &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		ho_err_set(err, HO_ENET,
		           "the audit repository %s:%u is unreachable; messages stay "
		           "queued and are retried",
		           a->host, a->port);
	return fd;
}

/* SSL over a non-blocking socket with a timeout on each step. */
static int ssl_step(SSL *ssl, int fd, int r, unsigned ms)
{
	int e = SSL_get_error(ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(fd, POLLIN, ms);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(fd, POLLOUT, ms);
	return -1;
}

static int ssl_write_all(SSL *ssl, int fd, const char *p, size_t len, unsigned ms)
{
	while (len > 0) {
		size_t w = 0;
		int r = SSL_write_ex(ssl, p, len, &w);
		if (r == 1) {
			p += w;
			len -= w;
		} else if (ssl_step(ssl, fd, r, ms) != 0) {
			return -1;
		}
	}
	return 0;
}

static int close_gracefully(SSL *ssl, int fd, unsigned ms)
{
	char buf[4096];
	int64_t deadline = mono_ms() + ms;
	int r;

	while ((r = SSL_shutdown(ssl)) < 0)
		if (ssl_step(ssl, fd, r, ms) != 0)
			return -1;
	if (r == 1)
		return 0; /* the peer's close_notify already arrived */
	for (;;) {
		size_t got = 0;
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return -1;
		r = SSL_read_ex(ssl, buf, sizeof(buf), &got);
		if (r == 1)
			continue; /* session tickets or other records: discard */
		switch (SSL_get_error(ssl, r)) {
		case SSL_ERROR_ZERO_RETURN:
			return 0;
		case SSL_ERROR_SYSCALL:
			/* EOF without close_notify: the peer closed after reading all. */
			return errno == 0 || ERR_peek_error() == 0 ? 0 : -1;
		case SSL_ERROR_WANT_READ:
			if (wait_fd(fd, POLLIN, (unsigned)left) != 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
}

int ho_atna_flush(ho_atna *a, bool force, size_t *sent, ho_err *err)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd = -1, rc = HO_ENET, r;
	char **q = NULL;
	size_t nq = 0, nq_send = 0, done = 0;

	if (sent)
		*sent = 0;
	if ((rc = list_queue(a, &q, &nq)) != 0)
		return ho_err_set(err, rc, "cannot read the ATNA queue %s", a->qdir);
	if (nq == 0)
		goto out;
	nq_send = nq;
	if (!force && a->next_try_ms != 0 && mono_ms() < a->next_try_ms) {
		rc = ho_err_set(err, HO_ENET,
		                "the audit repository was unreachable; next try in "
		                "%" PRId64 " s",
		                (a->next_try_ms - mono_ms()) / 1000);
		goto out;
	}
	rc = HO_ENET;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, a->ca, NULL) != 1) {
		rc = ho_err_set(err, HO_ECONFIG, "cannot load the audit repository's CA file %s",
		                a->ca);
		goto fail;
	}
	if (a->cert != NULL &&
	    (SSL_CTX_use_certificate_chain_file(ctx, a->cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, a->key ? a->key : a->cert, SSL_FILETYPE_PEM) != 1)) {
		rc = ho_err_set(err, HO_ECONFIG, "cannot load the kiosk's TLS certificate %s",
		                a->cert);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* A peer that closes TCP without close_notify after reading everything is fine. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if ((fd = tcp_connect(a, err)) < 0)
		goto fail;
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		goto fail;
	{
		/* The certificate must name the host we asked for (RFC 5425 5.2). */
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, a->host) != 1) {
			X509_VERIFY_PARAM_set1_host(vp, a->host, 0);
			SSL_set_tlsext_host_name(ssl, a->host);
		}
	}
	while ((r = SSL_connect(ssl)) != 1) {
		if (ssl_step(ssl, fd, r, a->timeout_ms) != 0) {
			long vr = SSL_get_verify_result(ssl);
			ho_err_set(err, HO_ENET, "TLS with the audit repository %s failed%s%s",
			           a->host, vr != X509_V_OK ? ": " : "",
			           vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "");
			goto fail;
		}
	}
	if (nq > BATCH_MAX)
		nq_send = BATCH_MAX;
	for (size_t i = 0; i < nq_send; i++) {
		char *path = ho_strfmt("%s/%s", a->qdir, q[i]), frame[32];
		uint8_t *msg = NULL;
		size_t ml = 0;
		int fl;

		if (path == NULL)
			goto fail;
		if (ho_fs_read_all(path, MSG_MAX, &msg, &ml, NULL) != 0) {
			/* An unreadable or oversized queue file would block the queue forever. */
			(void)unlink(path);
			free(path);
			q[i][0] = '\0';
			continue;
		}
		free(path);
		/* RFC 5425 4.3: SYSLOG-FRAME = MSG-LEN SP SYSLOG-MSG. */
		fl = snprintf(frame, sizeof(frame), "%zu ", ml);
		if (ssl_write_all(ssl, fd, frame, (size_t)fl, a->timeout_ms) != 0 ||
		    ssl_write_all(ssl, fd, (const char *)msg, ml, a->timeout_ms) != 0) {
			free(msg);
			ho_err_set(err, HO_ENET,
			           "the audit repository %s closed the connection; "
			           "messages stay queued",
			           a->host);
			goto fail;
		}
		free(msg);
	}
	/* A written message is not a received one: close with close_notify and wait for
	 * the server to close in turn, which it does only after reading everything we sent
	 * (closing earlier with unread data would reset the connection and drop our tail).
	 * Only then are the queue files removed; otherwise they are sent again later, so
	 * the repository may see a duplicate but never a gap. */
	if (close_gracefully(ssl, fd, a->timeout_ms) != 0) {
		ho_err_set(err, HO_ENET,
		           "the audit repository %s did not confirm the end of the "
		           "session; messages stay queued",
		           a->host);
		goto fail;
	}
	for (size_t i = 0; i < nq_send; i++) {
		char *path;
		if (q[i][0] == '\0')
			continue;
		if ((path = ho_strfmt("%s/%s", a->qdir, q[i])) == NULL)
			goto fail;
		(void)unlink(path);
		free(path);
		done++;
	}
	/* If the removals are lost in a power cut the messages are sent again. */
	if (ho_fs_fsync_dir(a->qdir) != 0)
		ERR_clear_error();
	a->backoff_ms = 0;
	a->next_try_ms = 0;
	rc = 0;
	goto out;
fail:
	ERR_clear_error();
	a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (a->backoff_ms > BACKOFF_MAX_MS)
		a->backoff_ms = BACKOFF_MAX_MS;
	a->next_try_ms = mono_ms() + a->backoff_ms;
	if (rc == 0 || (err != NULL && err->code == 0))
		rc = ho_err_set(err, HO_ENET, "cannot deliver to the audit repository %s", a->host);
	else if (err != NULL)
		rc = err->code;
out:
	if (sent)
		*sent = done;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	free_list(q, nq);
	return rc;
}
