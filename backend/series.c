/* Series names that need more than a printf (see series.h). */
#include "backend/series.h"

#include <stdio.h>

const char *series_queue(char *buf, size_t n, const char *org, const struct tagset *tags,
                         const char *field)
{
    char t[512];
    tagset_format(t, sizeof t, tags, ",", "");
    snprintf(buf, n, "queue/%s/%s/%s", org ? org : "", t, field);
    return buf;
}
