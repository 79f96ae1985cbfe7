#include "core/pacs.h"

#include <string.h>

static const char *opt(const ho_config *cfg, const char *name)
{
	const char *v = ho_config_get(cfg, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

void ho_pacs_peer(const ho_config *cfg, ho_dcm_peer *peer)
{
	memset(peer, 0, sizeof(*peer));
	peer->host = ho_config_get(cfg, "pacs.host");
	peer->port = (int)ho_config_get_int(cfg, "pacs.port");
	peer->called_ae = ho_config_get(cfg, "pacs.called_ae");
	peer->calling_ae = ho_config_get(cfg, "pacs.calling_ae");
	peer->connect_timeout_s = (int)ho_config_get_int(cfg, "pacs.connect_timeout");
	peer->dimse_timeout_s = (int)ho_config_get_int(cfg, "pacs.dimse_timeout");
	peer->tls_ca_file = opt(cfg, "pacs.tls_ca");
	peer->tls_cert_file = opt(cfg, "pacs.tls_cert");
	peer->tls_key_file = opt(cfg, "pacs.tls_key");
	if (strcmp(ho_config_get(cfg, "pacs.retrieve"), "move") == 0)
		peer->move_port = (int)ho_config_get_int(cfg, "pacs.move_port");
}

int ho_pacs_find(const ho_config *cfg, int level, const ho_dcm_query *q, ho_dcm_record_cb cb,
		 void *ud, ho_err *err)
{
	ho_dcm_peer peer;

	ho_pacs_peer(cfg, &peer);
	return ho_dcm_find(&peer, level, q, cb, ud, err);
}
