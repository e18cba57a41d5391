// Caps the worker threads OpenCV and OpenBLAS start inside one call. The service runs one
// pipeline per request thread, so per-call parallelism only oversubscribes the cores.
#pragma once

namespace faceid::face {

// n > 0: at most n threads per OpenCV / OpenBLAS call, process-wide.
void limit_library_threads(int n);

}  // namespace faceid::face
