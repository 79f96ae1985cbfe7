/*
 * core/pacs.h - the PACS as the configuration describes it.
 *
 * Front ends never build DICOM associations themselves: they ask core for the peer
 * described by the configuration and query through here. Records are dicom/'s
 * ho_dcm_record (valid during the callback only).
 */
#ifndef HO_CORE_PACS_H
#define HO_CORE_PACS_H

#include "core/config.h"
#include "dicom/dicom.h"

/* Fills peer from cfg. The strings point into cfg: valid while cfg lives. */
void ho_pacs_peer(const ho_config *cfg, ho_dcm_peer *peer);

/* C-FIND at level (HO_DCM_LEVEL_*) against the configured PACS. */
int ho_pacs_find(const ho_config *cfg, int level, const ho_dcm_query *q, ho_dcm_record_cb cb,
		 void *ud, ho_err *err) __attribute__((warn_unused_result));

#endif
