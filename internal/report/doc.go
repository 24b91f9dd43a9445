// Package report writes self-contained HTML evaluation reports: tables,
// ROC curves and score timelines (the score against its threshold, with
// fault windows shaded), plotted with gonum.org/v1/plot and embedded as
// inline SVG, so the file opens anywhere without network access. The same
// numbers are written as JSON by the caller; this package only renders.
//
// ROC curves are computed here from raw scores of negatives (clean frames)
// and positives (faulty frames): one point per distinct threshold, ties
// taken together, from (0, 0) to (1, 1).
package report
