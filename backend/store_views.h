/*
 * The store seen through the read interfaces other modules consume:
 * a series_source (sparklines, report charts) and an advisor_history
 * (forecasts, daily and weekly peaks). Both borrow the store; use them on
 * the thread that owns it.
 */
#ifndef SCALETOP_STORE_VIEWS_H
#define SCALETOP_STORE_VIEWS_H

#include "backend/advisor.h"
#include "backend/series.h"
#include "backend/store.h"

/* A series source reading st (borrowed). */
struct series_source store_series_source(struct store *st);

/* An advisor history reading st (borrowed). */
struct advisor_history store_advisor_history(struct store *st);

#endif
