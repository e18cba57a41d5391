// The packed evaluator must give exactly dlib::shape_predictor's landmarks.
#include "face/packed_shape_predictor.h"

#include <dlib/image_processing.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "face/face_aligner.h"
#include "face/face_detector.h"
#include "face/image_decoder.h"
#include "face/model_files.h"
#include "test_photos.h"

namespace faceid::face {
namespace {

TEST(PackedShapePredictorTest, GivesExactlyDlibsLandmarksOnEveryTestFace) {
  const ModelFiles files = locate_model_files(FACEID_MODELS_DIR);
  auto packed = PackedShapePredictor::load(files.shape_predictor);
  ASSERT_TRUE(packed.ok()) << packed.error().message;
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
}

TEST(PackedShapePredictorTest, MissingOrCorruptFileIsAnError) {
  EXPECT_EQ(PackedShapePredictor::load("/nonexistent.dat").error().code, "models_unavailable");
  const ModelFiles files = locate_model_files(FACEID_MODELS_DIR);
  EXPECT_EQ(PackedShapePredictor::load(files.tfjs_manifest).error().code, "models_unavailable");
}

}  // namespace
}  // namespace faceid::face
