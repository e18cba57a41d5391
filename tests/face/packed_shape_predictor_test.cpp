// The packed evaluator must give exactly dlib::shape_predictor's landmarks.
#include "face/packed_shape_predictor.h"

#include <dlib/image_processing.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "face/face_aligner.h"
#include "face/face_detector.h"
#include "face/image_decoder.h"
#include "face/model_files.h"
#include "test_photos.h"

namespace faceid::face {
namespace {

class TempCache {
 public:
  TempCache() {
    char tmpl[] = "/tmp/faceid-packed-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~TempCache() { std::filesystem::remove_all(dir_); }
  std::string file() const { return dir_ + "/cache/predictor.packed"; }

 private:
  std::string dir_;
};

// Landmarks of `predictor` equal dlib's own on every face of the test photos.
void expect_dlibs_landmarks(const PackedShapePredictor& predictor, int* faces_out);

TEST(PackedShapePredictorTest, GivesExactlyDlibsLandmarksOnEveryTestFace) {
  const ModelFiles files = locate_model_files(FACEID_MODELS_DIR);
  auto packed = PackedShapePredictor::load(files.shape_predictor);
  ASSERT_TRUE(packed.ok()) << packed.error().message;
  int faces = 0;
  expect_dlibs_landmarks(*packed, &faces);
}

// The packed copy, written on the first load and read on the second, is the same predictor;
// a damaged or foreign copy is ignored and rewritten, never trusted.
TEST(PackedShapePredictorTest, ThePackedCopyIsTheSamePredictorAndADamagedOneIsReplaced) {
  const ModelFiles files = locate_model_files(FACEID_MODELS_DIR);
  TempCache cache;
  auto first = PackedShapePredictor::load_cached(files.shape_predictor, cache.file());
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(std::filesystem::exists(cache.file()));
  const auto size = std::filesystem::file_size(cache.file());
  auto second = PackedShapePredictor::load_cached(files.shape_predictor, cache.file());
  ASSERT_TRUE(second.ok()) << second.error().message;
  int faces = 0;
  expect_dlibs_landmarks(*second, &faces);
  EXPECT_GT(faces, 10);

  // One flipped byte deep in the leaves: refused by the checksum, rebuilt from the .dat.
  {
    std::fstream f(cache.file(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put('\x5a');
  }
  const auto damaged_time = std::filesystem::last_write_time(cache.file());
  auto third = PackedShapePredictor::load_cached(files.shape_predictor, cache.file());
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_NE(std::filesystem::last_write_time(cache.file()), damaged_time);  // rewritten

  // Truncated: the same.
  std::filesystem::resize_file(cache.file(), size - 100);
  auto fourth = PackedShapePredictor::load_cached(files.shape_predictor, cache.file());
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(std::filesystem::file_size(cache.file()), size);
}

void expect_dlibs_landmarks(const PackedShapePredictor& predictor, int* faces_out) {
  const ModelFiles files = locate_model_files(FACEID_MODELS_DIR);
  const PackedShapePredictor* packed = &predictor;
  EXPECT_EQ(packed->num_parts(), 68u);
  dlib::shape_predictor reference;
  dlib::deserialize(files.shape_predictor) >> reference;
  auto detector = make_face_detector("cnn", files.rfb_detector);
  ASSERT_TRUE(detector.ok());
  int faces = 0;
  for (const char* folder : {"faces", "liveness"}) {
    for (const auto& e : std::filesystem::directory_iterator(testing::testdata(folder))) {
      const auto ext = e.path().extension();
      if (ext != ".jpg" && ext != ".png") continue;
      auto image = decode_image(testing::read_bytes(e.path().string()), {});
      ASSERT_TRUE(image.ok());
      const dlib::cv_image<dlib::bgr_pixel> view(image->bgr);
      for (const auto& d : (*detector)->detect(image->bgr, {true})) {
        const cv::Rect2f b = predictor_box_from_rfb(d.box);
        const dlib::rectangle rect(std::lround(b.x), std::lround(b.y),
                                   std::lround(b.x + b.width - 1), std::lround(b.y + b.height - 1));
        const auto expected = reference(view, rect);
        const auto got = (*packed)(view, rect);
        ASSERT_EQ(got.num_parts(), expected.num_parts());
        for (unsigned long i = 0; i < got.num_parts(); ++i) {
          EXPECT_EQ(got.part(i), expected.part(i)) << e.path() << " part " << i;
        }
        ++faces;
      }
    }
  }
  EXPECT_GE(faces, 30);
  *faces_out = faces;
}

TEST(PackedShapePredictorTest, MissingOrCorruptFileIsAnError) {
  EXPECT_EQ(PackedShapePredictor::load("/nonexistent.dat").error().code, "models_unavailable");
  const ModelFiles files = locate_model_files(FACEID_MODELS_DIR);
  EXPECT_EQ(PackedShapePredictor::load(files.tfjs_manifest).error().code, "models_unavailable");
}

}  // namespace
}  // namespace faceid::face
