// Owning (H, S, D) row-major tensors shared by the golden model, integer models and comparator.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attncheck {

struct Shape {
  int64_t heads = 1;
  int64_t seq = 0;
  int64_t dim = 0;
  size_t count() const { return static_cast<size_t>(heads * seq * dim); }
  size_t head_size() const { return static_cast<size_t>(seq * dim); }
  bool operator==(const Shape& o) const { return heads == o.heads && seq == o.seq && dim == o.dim; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const {
    return std::to_string(heads) + "x" + std::to_string(seq) + "x" + std::to_string(dim);
  }
};

template <class T>
struct Tensor {
  Shape shape;
  std::vector<T> data;

  Tensor() = default;
  explicit Tensor(Shape s, T fill = T{}) : shape(s), data(s.count(), fill) {}

  T* head(int64_t h) { return data.data() + static_cast<size_t>(h) * shape.head_size(); }
  const T* head(int64_t h) const { return data.data() + static_cast<size_t>(h) * shape.head_size(); }
  size_t index(int64_t h, int64_t s, int64_t d) const {
    return (static_cast<size_t>(h) * shape.seq + static_cast<size_t>(s)) * shape.dim + static_cast<size_t>(d);
  }
  T& at(int64_t h, int64_t s, int64_t d) { return data[index(h, s, d)]; }
  const T& at(int64_t h, int64_t s, int64_t d) const { return data[index(h, s, d)]; }
};

using Int8Tensor = Tensor<int8_t>;
using FloatTensor = Tensor<float>;
using DoubleTensor = Tensor<double>;

// Per-tensor quantization scales: real value = int8 value * scale. The output scale turns the
// real-valued golden output into LSB of the device output. All 1 when a fixture gives none,
// which is how the seeds' users compare (int8 values taken as floats).
struct Scales {
  double q = 1.0, k = 1.0, v = 1.0, out = 1.0;
  bool given = false;
};

// The three inputs of one attention problem plus what is needed to interpret them.
struct AttentionInputs {
  Int8Tensor q, k, v;
  Scales scales;
  const Shape& shape() const { return q.shape; }
};

}  // namespace attncheck
