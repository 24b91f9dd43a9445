// Package training is the recipe that turns clean sensor recordings into a
// model bundle, and the recipe of the default models shipped in
// deploy/models.
//
// Train orders the frames of several recordings into three contiguous
// blocks, trains the likelihood VAE on the first (70 % of every recording),
// stops early on the second (10 %) and calibrates the threshold after
// quantisation on the third (20 %, plus every recording whose Role is
// CalibrateOnly), then trains the health autoencoder on the per-frame
// health vectors of the same frames in the same blocks, and assembles an
// unsigned bundle with modelbundle. The same options and frames give the
// same bytes when Options.Created is fixed.
//
// DefaultPlans says how the default LiDAR and camera models are made: which
// simulated worlds and drives, which share of the real recording, and which
// training options. PlanRecordings builds a plan's recordings; fetching and
// decoding the real recording is the caller's job.
//
// TrainHost trains the host health model on a robot's recorded host sample
// log, as the robot does at the end of its learning phase, and packs it as
// a host bundle (firmware.KindHost) for a fleet of identical robots.
//
// Nothing here prints or writes files: Train returns the bundle bytes and
// reports progress through Options.Progress. Frame periods are in
// time.Duration; rates and fractions are in (0, 1).
package training
