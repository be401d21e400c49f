/* wlog.c - frame size of a patch-from frame for several windowLogs/levels.
 * cc -O2 -o /tmp/wlog bench/plan-explore/wlog.c -lzstd
 * usage: wlog BASE TARGET [level [from-wlog to-wlog]] */
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

static void *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	if (!f) { perror(p); exit(1); }
	fseek(f, 0, SEEK_END); *n = (size_t)ftell(f); fseek(f, 0, SEEK_SET);
	void *b = malloc(*n + 1);
	if (fread(b, 1, *n, f) != *n) exit(1);
	fclose(f);
	return b;
}

int main(int argc, char **argv)
{
	size_t bl, tl;
	void *b = slurp(argv[1], &bl), *t = slurp(argv[2], &tl);
	int level = argc > 3 ? atoi(argv[3]) : 19;
	size_t cap = ZSTD_compressBound(tl);
	void *o = malloc(cap);
	int from = argc > 4 ? atoi(argv[4]) : 10, to = argc > 5 ? atoi(argv[5]) : 31;
	for (int w = from; w <= to; w++) {
		ZSTD_CCtx *c = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
		ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, w);
		ZSTD_CCtx_setParameter(c, ZSTD_c_enableLongDistanceMatching, 1);
		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
		ZSTD_CCtx_setPledgedSrcSize(c, tl);
		ZSTD_CCtx_refPrefix(c, b, bl);
		size_t r = ZSTD_compress2(c, o, cap, t, tl);
		if (!ZSTD_isError(r))
			printf("wlog %d level %d: %zu\n", w, level, r);
		ZSTD_freeCCtx(c);
	}
	return 0;
}
