// Package health holds the agent's health models in the style of Borghesi
// et al. (anomaly detection on HPC nodes with autoencoders): one small dense
// autoencoder per sensor (and one for the host), trained on normal behaviour
// only, whose reconstruction error says how far the current feature vector
// is from normal, and which features are to blame.
//
// Network (d features): d → 32 (ReLU) → 8 (linear) → 32 (ReLU) → d (linear),
// trained in float64 with Adam on the mean squared error of standardised
// features (mean and standard deviation from the training block, or median
// and scaled MAD with ScaleRobust; TrainOptions.Noise trains a denoising
// autoencoder). The score
// of a vector x is the mean squared reconstruction error in standardised
// units,
//
//	score(x) = (1/d) Σ_i (z_i − ẑ_i)²,   z_i = (x_i − mean_i) / std_i
//
// computed on the robot in fixed point (package fixedpoint: Q10 int16
// activations, int16 weights with per-row scales, int64 accumulators). The
// WARN and ERROR thresholds are the 99th and 99.9th percentiles of the
// fixed-point score over a contiguous held-out block of normal vectors (the
// last part of the training series, never shuffled into training), so they
// are calibrated after quantisation and never on faults. The features with
// the largest (z_i − ẑ_i)² are reported as reasons. An error above ERROR
// that the stream's timing alone explains (the vector with its window
// features at their centres scores at or below ERROR) is a WARN: a lost
// or late frame warns, and never makes the frame's data untrusted.
//
// Inputs: SensorFeatures turns a stream of frames into per-frame vectors:
// stream timing over the last second (Window: rate ratio to nominal,
// inter-arrival mean/std/max gap in periods, drop fraction, latency median
// and 95th percentile, out-of-order count) followed by the frame's own
// statistics from package likelihood/features (LiDAR point counts per ring,
// range, intensity, height, roughness, change against the previous scan;
// camera brightness, clipping, Laplacian energy at three scales, noise,
// difference to the previous frame). The host vector comes from package
// agent/host.
//
// Models serialise with MarshalBinary and load with UnmarshalModel, for the
// firmware bundle.
package health
