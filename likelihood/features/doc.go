// Package features computes cheap per-frame statistics of LiDAR scans and
// camera images.
//
// The statistics are what a downsampled range image or thumbnail throws away:
// per-ring point counts (beam loss, interference), range and intensity
// percentiles (fog, wet ground), isolated returns and range roughness along a
// ring (crosstalk, point noise), noise, sharpness and blockiness estimates on
// the full-resolution image (sensor noise, blur, compression), and change
// against the previous frame (frozen or stuck streams). They are the inputs of
// the agent's health autoencoder and extra input channels of the likelihood
// VAE, so their names (LidarNames, CameraNames) and meanings are stable:
// append new statistics at the end, never reorder.
//
// Units: ranges and heights in metres, intensities and brightness in [0, 1],
// fractions in [0, 1], log quantities natural log. A statistic that cannot be
// computed for a frame (no previous frame, no returns) is NaN; callers decide
// how to impute it.
//
// Cost is linear in the number of points or sampled pixels and there is no
// sorting: percentiles come from fixed histograms. Images are sampled on a
// regular grid of about 20 000 centres; each centre reads its full-resolution
// neighbours, so high-frequency content (noise, blur) stays visible. The
// Extractor types own their scratch buffers and allocate nothing per frame
// once warmed up.
package features
