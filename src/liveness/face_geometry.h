// Landmark geometry the active challenge reads from each frame: eye openness, a pose proxy
// and the "is this face flat?" homography test. Pure functions on the 68 iBUG points.
#pragma once

#include <span>

#include "face/face_engine.h"

namespace faceid::liveness {

// Eye aspect ratio (Soukupova & Cech 2016) averaged over both eyes: about 0.25-0.35 open,
// it roughly halves during a blink.
double eye_aspect_ratio(const face::FaceLandmarks& lm);

// Horizontal position of the nose tip between the jaw's ends, minus 0.5: ~0 frontal, it
// swings +-0.2..0.45 on real head turns (sign: + when the nose moves towards the image's
// right). Robust where solvePnP's yaw is noisy on small faces.
double yaw_proxy(const face::FaceLandmarks& lm);

// Vertical position of the nose tip between the eye line and the chin, relative; it drops
// when the head tilts back (looking up).
double pitch_proxy(const face::FaceLandmarks& lm);

// How far the best single homography mapping `from` onto `to` misses, as the RMS error over
// the chosen points divided by `to`'s inter-ocular distance. A photo (flat, however tilted,
// bent a little or moved) gives a small residual; a real head turning gives a large one,
// because the nose and the face outline move against each other.
double homography_residual(const face::FaceLandmarks& from, const face::FaceLandmarks& to);

// The same fit, split: the RMS miss of the nose points (homography_residual) and their mean
// signed horizontal miss (+ = the nose ends up further towards the image's right than a flat
// face would put it), both in inter-ocular distances. On a real turn the signed part follows
// the turn's direction; on a photo both stay near landmark noise.
struct Parallax {
  double rms = 0;
  double horizontal = 0;
};
Parallax nose_parallax(const face::FaceLandmarks& from, const face::FaceLandmarks& to);

// Inter-ocular distance (outer eye corners), the scale unit of the measures above.
double interocular_distance(const face::FaceLandmarks& lm);

}  // namespace faceid::liveness
