/*
 * tests/integration/burn_thread_test.c - burn/ from several threads at once: library
 * initialisation happens once, drive operations serialise, and every thread's write and
 * read-back succeed on its own stdio: drive (run under ASan in the sanitizer tree).
 *
 * Usage: burn_thread_test WORKDIR
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "burn/burn.h"
#include "burn/manifest.h"
#include "util/fs.h"

#define THREADS 4

static const char *g_work;

static void put(const char *path, size_t n, unsigned seed)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		fputc((int)((i * 2654435761u + seed) >> 13) & 0xff, f);
	fclose(f);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	ho_err err = HO_ERR_INIT;
	ho_manifest *m = NULL;
	char *tree = ho_strfmt("%s/t%ld", g_work, id);
	char *deep = ho_strfmt("%s/DICOM/P0000001/S0000001/SE000001", tree);
	char *img = ho_strfmt("%s/I0000001", deep);
	char *dd = ho_strfmt("%s/DICOMDIR", tree);
	char *drive = ho_strfmt("stdio:%s/d%ld.iso", g_work, id);
	uint64_t size = 0;
	long rc = 0;

	if (ho_fs_mkdir_p(deep, 0700) < 0)
		abort();
	put(img, 200000 + (size_t)id * 1000, (unsigned)id);
	put(dd, 500, (unsigned)id + 100);
	ho_burn_opts o = {.drive = drive, .src_dir = tree, .volume_id = "THREADS"};
	for (int round = 0; round < 3 && rc == 0; round++) {
		if (ho_burn_iso_size(tree, "THREADS", &size, &err) < 0 ||
		    ho_manifest_from_dir(&m, tree, &err) < 0 || ho_burn_write(&o, &err) < 0 ||
		    ho_burn_verify(drive, m, NULL, NULL, &err) < 0) {
			fprintf(stderr, "thread %ld round %d: %s\n", id, round, err.msg);
			rc = 1;
		}
		ho_manifest_free(m);
		m = NULL;
	}
	free(tree);
	free(deep);
	free(img);
	free(dd);
	free(drive);
	return (void *)rc;
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];
	int failed = 0;

	if (argc != 2)
		return 2;
	g_work = argv[1];
	if (ho_fs_rm_rf(g_work) < 0 || ho_fs_mkdir_p(g_work, 0700) < 0)
		return 2;
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
			return 2;
	for (int i = 0; i < THREADS; i++) {
		void *r = NULL;
		pthread_join(t[i], &r);
		failed |= r != NULL;
	}
	if (!failed)
		printf("burn_thread_test: ok\n");
	if (ho_fs_rm_rf(g_work) < 0)
		return 2;
	return failed;
}
