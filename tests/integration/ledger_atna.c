/* Driver for the ATNA integration test.
 *   ledger_atna enqueue QUEUE FIRST COUNT       queue COUNT audit messages (markers FIRST..)
 *   ledger_atna flush QUEUE HOST PORT CAFILE    send; prints "sent N pending P rc R" */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/atna.h"
#include "core/audit.h"

int main(int argc, char **argv)
{
	ho_atna_opts o = HO_ATNA_OPTS_INIT;
	ho_atna *a = NULL;
	ho_err err = HO_ERR_INIT;
	int rc;

	if (argc < 5)
		return 2;
	o.queue_dir = argv[2];
	o.host = argc > 3 ? argv[3] : "127.0.0.1";
	o.ca_file = argc > 5 ? argv[5] : "/dev/null";
	o.port = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 6514;
	o.timeout_ms = 2000;
	if (strcmp(argv[1], "enqueue") == 0) {
		unsigned long first = strtoul(argv[3], NULL, 10), n = strtoul(argv[4], NULL, 10);
		o.host = "unused";
		o.ca_file = "unused";
		if (ho_atna_new(&a, &o, &err) != 0)
			goto fail;
		for (unsigned long i = first; i < first + n; i++) {
			char marker[64], *xml = NULL;
			size_t len = 0;
			ho_audit_auth au;
			memset(&au, 0, sizeof(au));
			snprintf(marker, sizeof(marker), "atna-marker-%lu", i);
			au.src.source_id = "atna.kiosk/test";
			au.event = HO_AUTH_LOGIN;
			au.user.user_id = marker;
			if (ho_audit_auth_xml(&xml, &len, &au, &err) != 0 ||
			    ho_atna_enqueue(a, i, xml, len, &err) != 0) {
				free(xml);
				goto fail;
			}
			free(xml);
		}
		printf("queued %lu pending %ld\n", n, ho_atna_pending(a));
		ho_atna_free(a);
		return 0;
	}
	if (strcmp(argv[1], "flush") == 0 && argc == 6) {
		size_t sent = 0;
		if (ho_atna_new(&a, &o, &err) != 0)
			goto fail;
		rc = ho_atna_flush(a, true, &sent, &err);
		printf("sent %zu pending %ld rc %d%s%s\n", sent, ho_atna_pending(a), rc,
		       rc ? " msg " : "", rc ? err.msg : "");
		ho_atna_free(a);
		return 0;
	}
	return 2;
fail:
	fprintf(stderr, "ledger_atna: %s\n", err.msg);
	ho_atna_free(a);
	return 1;
}
