/*
 * A streaming parser for the Prometheus text exposition format 0.0.4 that
 * also accepts OpenMetrics 1.0 text. Bytes are fed in chunks as they arrive
 * (libcurl's write callback); complete lines are tokenised in place and each
 * sample is handed to a callback. Memory is fixed per parser: one line
 * buffer (for a line split across chunks and for unescaped label values) and
 * a fixed label array; nothing is allocated per sample.
 */
#ifndef SCALETOP_PROMTEXT_H
#define SCALETOP_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>

#define PROMTEXT_MAX_LABELS       64
#define PROMTEXT_DEFAULT_MAX_LINE (64 * 1024)
#define PROMTEXT_MAX_FILTERS      64

enum promtext_type {
    PROMTEXT_UNTYPED = 0, /* no TYPE line, or "untyped"/"unknown" */
    PROMTEXT_COUNTER,
    PROMTEXT_GAUGE,
    PROMTEXT_HISTOGRAM,
    PROMTEXT_SUMMARY,
    PROMTEXT_GAUGEHISTOGRAM,
    PROMTEXT_INFO,
    PROMTEXT_STATESET,
};

/* One label; both strings are borrowed (valid during the callback only) and
 * not NUL-terminated. The value is unescaped (\\ \" \n). */
struct promtext_label {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* One sample as the callback sees it; everything is borrowed. */
struct promtext_sample {
    const char *family; /* the TYPE family when the name belongs to it, else the name */
    size_t family_len;
    const char *name; /* the series name, e.g. foo_bucket */
    size_t name_len;
    const struct promtext_label *labels;
    size_t nlabels;
    double value; /* NaN, +Inf, -Inf allowed */
    bool has_timestamp;
    double timestamp_ms; /* milliseconds since the epoch (OpenMetrics seconds are converted) */
    enum promtext_type type;
    size_t line; /* 1-based line number in the exposition */
};

/* Called for every sample of a wanted family, on the thread that feeds. */
typedef void (*promtext_sample_fn)(void *ud, const struct promtext_sample *s);

/* What the filter does with a family. */
enum promtext_action {
    PROMTEXT_SKIP = 0, /* skip its lines at memchr speed */
    PROMTEXT_PARSE,    /* tokenise and emit its samples */
    PROMTEXT_COUNT,    /* skip its lines but count them (cardinality) */
};

struct promtext_stats {
    size_t bytes;         /* fed so far */
    size_t lines;         /* complete lines seen, including skipped ones */
    size_t samples;       /* samples emitted */
    size_t skipped_lines; /* lines skipped by the filter */
    size_t errors;        /* malformed or over-long lines */
    size_t first_error_line;
    char first_error[160]; /* "line N: what", empty when none */
    bool eof_seen;         /* "# EOF" met (OpenMetrics terminator) */
    bool openmetrics;
};

struct promtext;

/* A new parser with a line cap of max_line bytes (0: the default); cb gets
 * every sample of a wanted family. Caller frees with promtext_free. */
struct promtext *promtext_new(size_t max_line, promtext_sample_fn cb, void *ud);

/* Frees the parser; NULL allowed. */
void promtext_free(struct promtext *p);

/* Parses timestamps and exemplars the OpenMetrics way (set it from the
 * response Content-Type before feeding). */
void promtext_set_openmetrics(struct promtext *p, bool om);

/* Adds a filter entry: a family `name` (matched exactly against the family,
 * so foo also takes foo_bucket, foo_sum, foo_count, foo_total), or, when
 * `prefix` is true, every family whose name starts with `name`. Once any
 * entry is added, families that match none get `otherwise` (default
 * PROMTEXT_SKIP). Returns the entry index (for promtext_count) or -1 when
 * full. The name is copied. Exact entries win over prefixes; the first
 * matching prefix wins among prefixes. */
int promtext_filter_add(struct promtext *p, const char *name, bool prefix,
                        enum promtext_action action);

/* What happens to families matching no entry (when entries exist). */
void promtext_filter_otherwise(struct promtext *p, enum promtext_action action);

/* Lines counted so far for a PROMTEXT_COUNT entry (samples of a PARSE entry). */
size_t promtext_count(const struct promtext *p, int entry);

/* Feeds the next chunk of the body; may call the callback many times. */
void promtext_feed(struct promtext *p, const char *data, size_t len);

/* Ends the body: parses a last line that lacks its newline. */
void promtext_finish(struct promtext *p);

/* Forgets the body so far (stats, line state, current family, counts) but
 * keeps the filter and the mode, for the next scrape. */
void promtext_reset(struct promtext *p);

/* Statistics of the body fed since the last reset (borrowed). */
const struct promtext_stats *promtext_stats(const struct promtext *p);

/* Parses a metric value the way Go's ParseFloat does for expositions (NaN,
 * +Inf, -Inf, exponents), independent of the C locale. Returns 0 on success. */
int promtext_parse_double(const char *s, size_t len, double *out);

#endif
