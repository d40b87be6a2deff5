/* Long double arithmetic for INCRBYFLOAT and HINCRBYFLOAT.
 *
 * Redis computes these in C `long double` (80-bit x87 extended precision
 * on x86_64, IEEE quad on aarch64) and formats with "%.17Lf"; Rust has no
 * such type, so the few operations needed live here and the bit pattern
 * crosses the FFI boundary as an opaque 16-byte buffer. */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis' MAX_LONG_DOUBLE_CHARS: longest accepted input and output. */
#define LD_MAX_CHARS (5 * 1024)

_Static_assert(sizeof(long double) <= 16, "long double must fit the 16-byte FFI buffer");

static long double load(const void *p) {
    long double v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void store(void *p, long double v) {
    memset(p, 0, 16);
    memcpy(p, &v, sizeof v);
}

/* Parse with Redis' string2ld rules: the whole string must be consumed,
 * no leading space, no NaN, overflow and underflow to zero rejected.
 * Returns 1 and writes *out on success, 0 otherwise. */
int moon_ld_parse(const char *s, size_t len, void *out) {
    char buf[LD_MAX_CHARS];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || (size_t)(end - buf) != len ||
        (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    store(out, v);
    return 1;
}

/* out = a + b. Returns 0 if the sum is NaN or infinite. */
int moon_ld_add(const void *a, const void *b, void *out) {
    long double v = load(a) + load(b);
    if (isnan(v) || isinf(v)) return 0;
    store(out, v);
    return 1;
}

void moon_ld_from_i64(long long n, void *out) {
    store(out, (long double)n);
}

/* Redis' ld2string in LD_STR_HUMAN mode: "%.17Lf" with trailing zeros
 * (and a then trailing '.') removed, "-0" written as "0". Infinite and NaN
 * values are spelled as Redis does. Returns the length written to buf
 * (at most cap-1, NUL-terminated), or 0 if it does not fit. */
size_t moon_ld_format_human(const void *p, char *buf, size_t cap) {
    long double v = load(p);
    int n;
    size_t l;

    if (isinf(v)) {
        const char *s = v > 0 ? "inf" : "-inf";
        l = strlen(s);
        if (cap < l + 1) return 0;
        memcpy(buf, s, l + 1);
        return l;
    }
    if (isnan(v)) {
        if (cap < 4) return 0;
        memcpy(buf, "nan", 4);
        return 3;
    }
    n = snprintf(buf, cap, "%.17Lf", v);
    if (n < 0 || (size_t)n + 1 > cap) return 0;
    l = (size_t)n;
    if (memchr(buf, '.', l) != NULL) {
        while (buf[l - 1] == '0') l--;
        if (buf[l - 1] == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return l;
}
