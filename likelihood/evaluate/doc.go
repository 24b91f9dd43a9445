// Package evaluate computes detection metrics from scores of clean
// (negative) and faulty (positive) frames, higher score = more suspicious:
// AUROC (the Mann–Whitney probability that a positive outscores a negative,
// ties counted half), FPR at a given TPR, AUPR (average precision, the
// step-wise area under the precision–recall curve), Spearman's rank
// correlation (Pearson correlation of mid-ranks), and flagged fractions at a
// threshold. NaN scores are rejected with an error.
package evaluate
