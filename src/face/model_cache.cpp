#include "face/model_cache.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace faceid::face {

Status write_cache_file(const std::string& path, const std::function<void(CacheWriter&)>& body) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    CacheWriter w(out);
    body(w);
    w.finish();
    if (!out.flush()) {
      std::filesystem::remove(tmp, ec);
      return make_error("models_unavailable", "cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::filesystem::remove(tmp, ec);
    return make_error("models_unavailable", "cannot rename " + tmp);
  }
  return Status::Ok();
}

}  // namespace faceid::face
