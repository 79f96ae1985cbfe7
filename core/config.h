/*
 * core/config.h - the kiosk's one configuration file.
 *
 * A small INI dialect (docs/CONFIG.md): `[section]` lines, `key = value` lines, `#`
 * comments, UTF-8, at most 64 KiB. Unknown sections or keys are errors (a typo must not
 * silently fall back to a default). Every key has an embedded default that points at the
 * simulated hardware (hw-sim), so `handoff` runs out of the box in the demo.
 *
 * Memory: strings returned by the accessors are owned by the ho_config and valid until
 * ho_config_free.
 */
#ifndef HO_CORE_CONFIG_H
#define HO_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct ho_config ho_config;

#define HO_CONFIG_MAX_BYTES (64 * 1024)

/* The embedded defaults. */
int ho_config_new(ho_config **out) __attribute__((warn_unused_result));

/* Defaults overlaid with the file at path (NULL = defaults only). */
int ho_config_load(ho_config **out, const char *path, ho_err *err)
	__attribute__((warn_unused_result));

/* Same, from a buffer (the fuzz target's entry point). */
int ho_config_parse(ho_config *cfg, const char *buf, size_t len, const char *origin, ho_err *err)
	__attribute__((warn_unused_result));

/* "section.key" -> value, or NULL if the key is unknown. Never NULL for known keys. */
const char *ho_config_get(const ho_config *cfg, const char *name);
/* Integer value of a numeric key (validated at parse time). */
long ho_config_get_int(const ho_config *cfg, const char *name);
/* Overrides one key (command-line options). Validates like the parser. */
int ho_config_set(ho_config *cfg, const char *name, const char *value, ho_err *err)
	__attribute__((warn_unused_result));

/* Writes the effective configuration as a file that ho_config_load accepts. */
int ho_config_dump(const ho_config *cfg, char **out, size_t *len)
	__attribute__((warn_unused_result));

void ho_config_free(ho_config *cfg);

#endif
