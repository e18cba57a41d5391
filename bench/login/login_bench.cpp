// login_bench: what a user waits for. A face login over HTTP against the release `faceid
// serve` pinned to one core (liveness on), next to the reference pipeline (the Python
// face_recognition algorithm: HOG with one upsample + 68 landmarks + the dlib ResNet) built
// into this program with -O3 -march=native and run on the same core. Prints median and p99
// of both and the ratio (issue 10: login <= 0.25x the reference).
//
// usage: login_bench FACEID_BINARY MODELS_DIR PHOTO [ROUNDS=60] [CORE=1]
//
// The machine is shared: logins and reference runs alternate call by call, so both see the
// same background load. The HTTP client runs on another core than the server; each login is
// one request on a fresh connection (multipart upload, pipeline, 1:N search, store writes,
// tokens, JSON response), timed from connect to the last byte of the response.
#include <arpa/inet.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <thread>
#include <vector>

#include "face/blas_kernels.h"
#include "face/face_chip.h"
#include "face/face_embedder.h"
#include "face/model_files.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void pin_to(int core) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  sched_setaffinity(0, sizeof(set), &set);
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// One HTTP/1.1 request on a fresh connection ("Connection: close"); returns the status code
// (0 when the server is not there) and the body in *body.
int http(int port, const std::string& head, const std::string& payload, std::string* body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return 0;
  }
  const std::string request = head + payload;
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buffer[16384];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, n);
  ::close(fd);
  if (response.size() < 12) return 0;
  if (body) {
    const auto end = response.find("\r\n\r\n");
    *body = end == std::string::npos ? "" : response.substr(end + 4);
  }
  return std::atoi(response.c_str() + 9);
}

std::string multipart_post(int port, const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& fields,
                           const std::string& photo, std::string* body) {
  const std::string boundary = "loginbenchboundary7f3a";
  std::string payload;
  for (const auto& [name, value] : fields) {
    payload += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name +
               "\"\r\n\r\n" + value + "\r\n";
  }
  payload += "--" + boundary +
             "\r\nContent-Disposition: form-data; name=\"face_image\"; filename=\"face.jpg\"\r\n"
             "Content-Type: image/jpeg\r\n\r\n" +
             photo + "\r\n--" + boundary + "--\r\n";
  const std::string head = "POST " + path +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                           "Content-Type: multipart/form-data; boundary=" +
                           boundary + "\r\nContent-Length: " + std::to_string(payload.size()) +
                           "\r\n\r\n";
  return std::to_string(http(port, head, payload, body));
}

struct Stats {
  double p50, p90, p99, mean;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  double sum = 0;
  for (double x : v) sum += x;
  return {at(0.5), at(0.9), at(0.99), sum / v.size()};
}

// The reference: face_recognition's face_locations(img, 1) + face_landmarks + face_encodings,
// as dlib calls compiled with this target's flags (-O3 -march=native).
class Reference {
 public:
  Reference(const std::string& models_dir) : hog_(dlib::get_frontal_face_detector()) {
    const auto files = faceid::face::locate_model_files(models_dir);
    dlib::deserialize(files.shape_predictor) >> predictor_;
    auto embedder = faceid::face::FaceEmbedder::load(files.resnet_dat);
    if (!embedder) throw std::runtime_error(embedder.error().message);
    embedder_ = std::move(*embedder);
  }
  // Returns the number of faces embedded.
  int run(const std::string& jpeg) {
    const cv::Mat bgr =
        cv::imdecode(std::vector<uchar>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
    dlib::matrix<dlib::rgb_pixel> rgb;
    dlib::assign_image(rgb, dlib::cv_image<dlib::bgr_pixel>(bgr));
    dlib::matrix<dlib::rgb_pixel> up = rgb;
    dlib::pyramid_up(up);
    int faces = 0;
    for (const auto& r : hog_(up)) {
      const dlib::rectangle face(r.left() / 2, r.top() / 2, r.right() / 2, r.bottom() / 2);
      const auto shape = predictor_(rgb, face);
      faceid::face::FaceChip chip;
      dlib::extract_image_chip(rgb, dlib::get_face_chip_details(shape, 150, 0.25), chip);
      (void)embedder_->embed(chip);
      ++faces;
    }
    return faces;
  }

 private:
  dlib::frontal_face_detector hog_;
  dlib::shape_predictor predictor_;
  std::unique_ptr<faceid::face::FaceEmbedder> embedder_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s FACEID_BINARY MODELS_DIR PHOTO [ROUNDS=60] [CORE=1]\n",
                 argv[0]);
    return 2;
  }
  // One BLAS thread, as the service runs it; OpenBLAS reads this when it loads: re-exec.
  if (const char* t = std::getenv("OPENBLAS_NUM_THREADS"); !t || std::string(t) != "1") {
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);
  }
  // The reference gets the kernels the service picks for itself (face/blas_kernels.h).
  faceid::face::use_best_openblas_kernels(argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string faceid = std::filesystem::absolute(argv[1]).string();
  const std::string models = std::filesystem::absolute(argv[2]).string();
  const std::string photo = slurp(argv[3]);
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 60;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const int core = argc > 5 ? std::atoi(argv[5]) : std::min(1, cores - 1);
  const int client_core = cores > 1 ? (core == 0 ? 1 : 0) : core;

  char tmpl[] = "/tmp/login_bench_XXXXXX";
  const std::string data = mkdtemp(tmpl);
  const int port = free_port();
  const pid_t server = fork();
  if (server == 0) {
    pin_to(core);
    const std::string env[] = {"HOST=127.0.0.1",
                               "PORT=" + std::to_string(port),
                               "DATA_DIR=" + data,
                               "MODELS_DIR=" + models,
                               "SECRET_KEY=login-bench-secret-0123456789abcdef012345",
                               "LOG_LEVEL=warning",
                               "RATE_LIMIT_ENABLED=false",
                               "LIVENESS_ENABLED=true",
                               "WORKERS=1",
                               "PATH=/usr/bin:/bin"};
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    char* args[] = {const_cast<char*>(faceid.c_str()), const_cast<char*>("serve"), nullptr};
    ::execve(faceid.c_str(), args, envp.data());
    std::_Exit(127);
  }
  pin_to(client_core);
  std::printf("login_bench: server pid %d pinned to core %d, client on core %d, %d rounds\n",
              server, core, client_core, rounds);
  std::printf("load average at start: %s", slurp("/proc/loadavg").c_str());
  std::printf("OpenBLAS kernels (reference and service): %s\n",
              faceid::face::loaded_openblas_core().c_str());

  const auto started = Clock::now();
  std::string body;
  const std::string ready = "GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  while (http(port, ready, "", &body) != 200) {
    if (ms_since(started) > 120000 || waitpid(server, nullptr, WNOHANG) == server) {
      std::fprintf(stderr, "the server did not become ready\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string registered = multipart_post(port, "/api/v1/auth/register",
                                                {{"username", "bench_user"},
                                                 {"email", "bench@bench.invalid"},
                                                 {"password", "Bench-Password-1"}},
                                                photo, &body);
  if (registered != "201" && registered != "200") {
    std::fprintf(stderr, "registration failed: %s %s\n", registered.c_str(), body.c_str());
    kill(server, SIGTERM);
    return 1;
  }

  Reference reference(models);
  std::vector<double> login_ms, reference_ms;
  int failed = 0, reference_faces = 0;
  for (int i = -3; i < rounds; ++i) {  // 3 warm-up rounds
    auto t = Clock::now();
    const std::string status = multipart_post(port, "/api/v1/auth/login", {}, photo, &body);
    const double login = ms_since(t);
    if (status != "200") ++failed;
    pin_to(core);  // the reference on the server's core, while the server idles
    t = Clock::now();
    reference_faces = reference.run(photo);
    const double ref = ms_since(t);
    pin_to(client_core);
    if (i >= 0) login_ms.push_back(login), reference_ms.push_back(ref);
  }
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  std::filesystem::remove_all(data);

  const Stats l = stats(login_ms), r = stats(reference_ms);
  std::printf("load average at end: %s", slurp("/proc/loadavg").c_str());
  std::printf("| what (ms, one core) | p50 | p90 | p99 | mean |\n|---|---:|---:|---:|---:|\n");
  std::printf("| face login over HTTP (liveness on) | %.1f | %.1f | %.1f | %.1f |\n", l.p50, l.p90,
              l.p99, l.mean);
  std::printf("| reference pipeline, -O3 -march=native (%d face) | %.1f | %.1f | %.1f | %.1f |\n",
              reference_faces, r.p50, r.p90, r.p99, r.mean);
  std::printf("non-200 logins: %d of %d\n", failed, rounds + 3);
  std::printf("ratio login / reference: p50 %.3f, p99 %.3f\n", l.p50 / r.p50, l.p99 / r.p99);
  return failed == 0 ? 0 : 1;
}
