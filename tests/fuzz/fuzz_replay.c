/* Replays every file given on the command line (or every file in the directories
 * given) through LLVMFuzzerTestOneInput, so that ctest runs each fuzz target over its
 * checked-in corpus on every build, under ASan+UBSan in the sanitizer tree. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path, unsigned *n)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s missing\n", path);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		int rc = 0;
		if (d == NULL)
			return 1;
		while ((de = readdir(d)) != NULL) {
			char *p;
			if (de->d_name[0] == '.')
				continue;
			if ((p = ho_strfmt("%s/%s", path, de->d_name)) == NULL)
				return 1;
			rc |= replay(p, n);
			free(p);
		}
		closedir(d);
		return rc;
	}
	if (ho_fs_read_all(path, 16u << 20, &buf, &len, NULL) < 0)
		return 1;
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	(*n)++;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n = 0;
	int rc = 0;

	for (int i = 1; i < argc; i++)
		rc |= replay(argv[i], &n);
	printf("replayed %u inputs\n", n);
	return rc || n == 0;
}
