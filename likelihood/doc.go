// Package likelihood scores how trustworthy a sensor frame is with a small
// per-sensor variational autoencoder (VAE) trained on clean frames, and the
// approximated Likelihood Regret computed in integer fixed point.
//
// # Representation (Repr, saved with the model)
//
// LiDAR: a range image of rows × azimuth bins (VLP-16 default 16 × 64) with
// two channels, normalised range log(1+r)/log(1+r_max) (missing returns
// marked −0.25, below every valid value) and intensity, nearest return per
// cell. Rows are the model's elevation table: the ring elevations when the
// training scans carry them, else 32 rows spanning the training returns'
// elevations; a point is binned by its ring's elevation, or by
// atan2(z, hypot(x, y)) for scans without ring numbers (KITTI .bin files).
// Camera: a thumbnail (default 32 wide, height by aspect ratio) with two
// channels, mean luma and log mean |5-point Laplacian| at full resolution
// sampled in each cell (local high-frequency energy, which noise raises and
// blur lowers and a plain thumbnail averages away). By default the frame
// statistics of package features are appended as extra inputs, with a
// likelihood weight (StatWeight) that makes them count against thousands of
// pixels. Inputs are standardised on the training block (statistics robustly,
// with a logarithmic tail), clipped to ±7.94 and quantised to int16 Q11
// (scale 1/2048).
//
// # Model
//
// Encoder D → H1 (ReLU) → (μ, log σ²) ∈ R^L; decoder L → H2 (ReLU) → D
// linear, Gaussian likelihood with a learned per-input log-variance λ
// independent of z. Then
//
//	Σᵢ ωᵢ e^{−λᵢ} (xᵢ − W3ᵢ·h − b3ᵢ)² = c(x) − 2 u(x)ᵀh + hᵀ G h,
//	u = W3ᵀΛ(x − b3) (once per frame), G = W3ᵀΛW3 (once per model),
//
// so one decoder pass costs L·H2 + H2² multiply-accumulates instead of
// D·H2. Training is float64 Adam on minibatches with KL warm-up and early
// stopping on a held-out contiguous validation block; the network code is
// ours.
//
// # Scores (all Scorers; higher = less trustworthy)
//
// ReconScorer (weighted squared reconstruction error at z = μ), NLLScorer
// (importance-weighted NLL, Burda et al. 2016), ExactLRScorer (Likelihood
// Regret, Xiao et al. 2020: Adam re-fit of the encoder weights to the frame),
// ApproxLRScorer (float) and FixedScorer (integer): approximated LR. The
// approximated LR re-fits τ = (μ, log σ²) of the frame, not the encoder, by
// K zeroth-order steps with Q Rademacher directions each (SPSA, one-sided
// differences), on the S-sample importance-weighted NLL with the same ε in
// every evaluation (common random numbers), descending, with smoothing and
// step sizes hundreds of Q12 steps wide, accepting a step only when it lowers
// the NLL; LR = NLL(τ₀) − NLL(τ_K) ≥ 0 in nats.
//
// The regret cancels every likelihood term the decoder cannot change with
// z, so faults that only move statistics or pixels the model cannot
// produce at all are invisible to it. FixedScorer therefore reports, by
// default (ScoreRegretAndStats), the largest of three robust z-scores,
// all from the same re-fit: the regret; the statistics residual
// ½ Σ Λᵢ (xᵢ − x̂ᵢ(μ_K))² at the re-fitted posterior mean, with precisions
// Λᵢ from the held-out validation error (variances learnt on the training
// block understate how far scene-dependent statistics stray on new
// frames); and the NLL at the re-fitted posterior, NLL(τ_K), what the best
// posterior the re-fit found still cannot explain (one pass over the
// input on top of the regret). Each is centred and scaled by its median
// and MAD on the validation block. ScoreParts returns the parts. Models of
// format 3 carry no centre and scale for the third part and combine the
// first two, as they were calibrated.
//
// # Fixed point
//
// After float training the network is quantised with per-output-channel
// scales (int16 weights, int16 Q11 inputs, Q12 activations in int64,
// requantisation by a 15-bit multiplier and a right shift) and the
// threshold is calibrated on the fixed scores of a held-out contiguous
// clean block at a target per-frame false-positive rate. The score path
// after input quantisation (fixedengine.go, intmath.go) runs on package
// fixedpoint: DotI16 for the input-sized layers, DotI16I64 for the small
// ones (Q12 activations in int64), QuadFormActive for hᵀGh over the active
// ReLUs, MulRoundShift64 and RoundShift64 for every rounding shift (ties
// away from zero), ExpQ for σ = exp(s/2) and LogSumExpQ for the
// importance-weighted NLL, both at Q12, and Rand (xoshiro128**: Normal,
// FillRademacher) for the fixed ε and direction tables. What stays here
// is specific to this network: the requantisation wrapper (qnet's 15-bit
// multipliers and shifts up to 62 are not a fixedpoint.Requant). The
// path is integer-only, checked by an AST test and by fixedpoint/intcheck
// (following the calls into fixedpoint), and gives the same bits on amd64,
// arm64 and arm.
//
// # Files
//
// What runs on the robot: model.go and codec.go (the model and its
// format), repr.go (frame → input), fixed.go (FixedScorer, the firmware
// probes), fixedengine.go and intmath.go (the integer re-fit), the tables
// of refit.go. What makes a model: train.go and net.go (float training),
// quant.go (quantisation). What the fixed score is measured against:
// reference.go (the float scorers) and the floatEngine of refit.go. The
// model file carries the float network for the references.
package likelihood
