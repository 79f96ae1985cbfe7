/* Table-driven tests of the configuration parser (core/config.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

static int failures;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                    \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			failures++;                                                        \
		}                                                                          \
	} while (0)

struct bad_case {
	const char *text;
	const char *want_in_msg;
};

static const struct bad_case BAD[] = {
	{"[pacs]\nprot = 4242\n", "unknown setting 'pacs.prot'"},
	{"port = 4242\n", "outside any [section]"},
	{"[pacs]\nport = 70000\n", "from 1 to 65535"},
	{"[pacs]\nport = 42x\n", "whole number"},
	{"[pacs]\nport = \n", "whole number"},
	{"[pacs]\ncalled_ae = ABCDEFGHIJKLMNOPQ\n", "1 to 16 characters"},
	{"[pacs]\ncalled_ae = A\\B\n", "1 to 16 characters"},
	{"[pacs]\nretrieve = fetch\n", "get or move"},
	{"[drive]\nmedia = floppy\n", "cd, dvd or usb"},
	{"[export]\nencrypt = maybe\n", "yes or no"},
	{"[pacs\nport = 1\n", "malformed section"},
	{"[pacs]\njust words\n", "expected 'key = value'"},
	{"[pacs]\nhost = a\x01" "b\n", "control character"},
};

int main(void)
{
	ho_config *cfg = NULL;
	ho_err err = HO_ERR_INIT;
	char *dump = NULL;
	size_t len = 0;

	/* Defaults point at the simulated hardware. */
	CHECK(ho_config_new(&cfg) == 0, "new");
	CHECK(strcmp(ho_config_get(cfg, "pacs.host"), "127.0.0.1") == 0, "default host");
	CHECK(ho_config_get_int(cfg, "pacs.port") == 4242, "default port");
	CHECK(strncmp(ho_config_get(cfg, "drive.address"), "stdio:", 6) == 0, "default drive");
	CHECK(ho_config_get(cfg, "no.such") == NULL, "unknown key is NULL");

	/* A good file overrides, with comments, blanks, CRLF and spaces around '='. */
	{
		const char good[] = "# kiosk\r\n[pacs]\r\nhost=pacs.example\r\n  port = 104 \r\n"
				    "; other comment\n[drive]\nmedia = dvd\n";
		CHECK(ho_config_parse(cfg, good, sizeof(good) - 1, "good", &err) == 0, "good: %s",
		      err.msg);
		CHECK(strcmp(ho_config_get(cfg, "pacs.host"), "pacs.example") == 0, "host");
		CHECK(ho_config_get_int(cfg, "pacs.port") == 104, "port");
		CHECK(strcmp(ho_config_get(cfg, "drive.media"), "dvd") == 0, "media");
	}

	/* Every bad case is refused with a message that names the problem and the line. */
	for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
		ho_config *c = NULL;
		ho_err e = HO_ERR_INIT;
		int rc;
		CHECK(ho_config_new(&c) == 0, "new");
		rc = ho_config_parse(c, BAD[i].text, strlen(BAD[i].text), "case", &e);
		CHECK(rc == HO_ECONFIG, "case %zu: rc %d", i, rc);
		CHECK(strstr(e.msg, BAD[i].want_in_msg) != NULL, "case %zu: message '%s'", i, e.msg);
		CHECK(strstr(e.msg, "line") != NULL || strstr(e.msg, "case") != NULL,
		      "case %zu: no location in '%s'", i, e.msg);
		/* A refused value never replaces the old one. */
		CHECK(ho_config_get_int(c, "pacs.port") == 4242, "case %zu: port changed", i);
		ho_config_free(c);
	}

	/* NUL bytes and oversize input. */
	{
		ho_config *c = NULL;
		char *big = malloc(HO_CONFIG_MAX_BYTES + 2);
		ho_err e = HO_ERR_INIT;
		CHECK(ho_config_new(&c) == 0, "new");
		CHECK(ho_config_parse(c, "[pacs]\0x", 8, "nul", &e) == HO_ECONFIG, "NUL accepted");
		memset(big, '#', HO_CONFIG_MAX_BYTES + 1);
		ho_err_clear(&e);
		CHECK(ho_config_parse(c, big, HO_CONFIG_MAX_BYTES + 1, "big", &e) == HO_ETOOBIG,
		      "oversize accepted");
		free(big);
		ho_config_free(c);
	}

	/* dump -> parse gives the same configuration. */
	CHECK(ho_config_set(cfg, "pacs.called_ae", "PACS_A", &err) == 0, "set");
	CHECK(ho_config_set(cfg, "pacs.nope", "x", &err) == HO_ECONFIG, "set unknown");
	CHECK(ho_config_dump(cfg, &dump, &len) == 0, "dump");
	{
		ho_config *c2 = NULL;
		ho_err e = HO_ERR_INIT;
		CHECK(ho_config_new(&c2) == 0, "new");
		CHECK(ho_config_parse(c2, dump, len, "dump", &e) == 0, "reparse: %s", e.msg);
		CHECK(strcmp(ho_config_get(c2, "pacs.called_ae"), "PACS_A") == 0, "roundtrip ae");
		CHECK(strcmp(ho_config_get(c2, "pacs.host"), "pacs.example") == 0, "roundtrip host");
		ho_config_free(c2);
	}
	free(dump);
	ho_config_free(cfg);
	if (failures == 0)
		puts("config_test: all passed");
	return failures ? 1 : 0;
}
