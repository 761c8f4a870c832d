// Plots as inline SVG: scatter, histogram and heatmap, drawn from plain numbers with fixed sizes.
#include "compare/svg_plots.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace attncheck {
namespace {

constexpr int kWidth = 520, kHeight = 380;
constexpr int kLeft = 72, kRight = 32, kTop = 36, kBottom = 52;
constexpr int kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

std::string fmt(double v) {
  char buf[48];
  if (std::fabs(v) < 1e-12) return "0";  // a tick at -1e-17 from a rounded step is zero
  if (std::fabs(v) >= 1e5 || std::fabs(v) < 1e-3) std::snprintf(buf, sizeof buf, "%.3g", v);
  else std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

struct Range {
  double lo, hi;
  double span() const { return hi - lo; }
};

std::string open_svg(const std::string& kind, const std::string& title) {
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" data-plot=\"" << kind << "\" width=\"" << kWidth
    << "\" height=\"" << kHeight << "\" viewBox=\"0 0 " << kWidth << " " << kHeight
    << "\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">"
    << "<title>" << html_escape(title) << "</title>"
    << "<rect x=\"0\" y=\"0\" width=\"" << kWidth << "\" height=\"" << kHeight << "\" fill=\"#ffffff\"/>"
    << "<text x=\"" << kWidth / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">"
    << html_escape(title) << "</text>";
  return o.str();
}

// The range the axis shows: [lo, hi] widened to the nice ticks around it.
Range nice_range(double lo, double hi) {
  const std::vector<double> t = nice_ticks(lo, hi);
  return {t.front(), t.back()};
}

// One tick: a value and the label it shows (a log axis shows counts at log positions).
struct Tick {
  double at;
  std::string label;
};

std::vector<Tick> linear_ticks(Range r) {
  std::vector<Tick> out;
  for (double v : nice_ticks(r.lo, r.hi))
    if (v >= r.lo - 1e-9 * r.span() && v <= r.hi + 1e-9 * r.span()) out.push_back({v, fmt(v)});
  return out;
}

// Frame, ticks on both axes and the axis labels. The ranges are expected on the ticks' grid
// (nice_range), so the frame starts and ends on a labelled value.
std::string axes(Range xr, Range yr, const std::string& x_label, const std::string& y_label,
                 const std::vector<Tick>* y_ticks = nullptr) {
  std::ostringstream o;
  o << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kPlotW << "\" height=\"" << kPlotH
    << "\" fill=\"none\" stroke=\"#444\"/>";
  for (const Tick& t : linear_ticks(xr)) {
    const double fx = kLeft + (t.at - xr.lo) / xr.span() * kPlotW;
    o << "<line x1=\"" << px(fx) << "\" y1=\"" << kTop + kPlotH << "\" x2=\"" << px(fx) << "\" y2=\""
      << kTop + kPlotH + 4 << "\" stroke=\"#444\"/>"
      << "<text x=\"" << px(fx) << "\" y=\"" << kTop + kPlotH + 16 << "\" text-anchor=\"middle\">" << t.label << "</text>";
  }
  const std::vector<Tick> ys = y_ticks ? *y_ticks : linear_ticks(yr);
  for (const Tick& t : ys) {
    const double fy = kTop + kPlotH - (t.at - yr.lo) / yr.span() * kPlotH;
    o << "<line x1=\"" << kLeft - 4 << "\" y1=\"" << px(fy) << "\" x2=\"" << kLeft << "\" y2=\"" << px(fy)
      << "\" stroke=\"#444\"/>"
      << "<text x=\"" << kLeft - 6 << "\" y=\"" << px(fy + 4) << "\" text-anchor=\"end\">" << t.label << "</text>";
  }
  o << "<text x=\"" << kLeft + kPlotW / 2 << "\" y=\"" << kHeight - 12 << "\" text-anchor=\"middle\">"
    << html_escape(x_label) << "</text>";
  o << "<text transform=\"translate(14 " << kTop + kPlotH / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << html_escape(y_label) << "</text>";
  return o.str();
}

// A perceptually ordered ramp (viridis stops): 0 dark purple, 1 yellow.
std::string colour(double t) {
  static const double stops[][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  t = std::clamp(t, 0.0, 1.0) * 4.0;
  const int i = std::min(3, static_cast<int>(t));
  const double f = t - i;
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(stops[i][0] + f * (stops[i + 1][0] - stops[i][0])),
                static_cast<int>(stops[i][1] + f * (stops[i + 1][1] - stops[i][1])),
                static_cast<int>(stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
  return buf;
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0, 1};
  if (hi < lo) std::swap(lo, hi);
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  target = std::max(1, target);
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  const double first = std::floor(lo / step + 1e-9) * step, last = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> out;
  for (double v = first; v <= last + step * 1e-6 && out.size() < 1000; v = first + step * static_cast<double>(out.size()))
    out.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  if (out.size() < 2) out.push_back(first + step);
  return out;
}

std::string svg_scatter(const std::vector<double>& x, const std::vector<double>& y, const std::string& title,
                        const std::string& x_label, const std::string& y_label, size_t max_points) {
  const size_t n = std::min(x.size(), y.size());
  double lo = 0, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    lo = std::min({lo, x[i], y[i]});
    hi = std::max({hi, x[i], y[i]});
  }
  // One range for both axes, so the diagonal is y = x and distance from it reads as error.
  const Range r = nice_range(lo, hi);
  auto sx = [&](double v) { return kLeft + (v - r.lo) / r.span() * kPlotW; };
  auto sy = [&](double v) { return kTop + kPlotH - (v - r.lo) / r.span() * kPlotH; };
  const size_t stride = std::max<size_t>(1, (n + max_points - 1) / std::max<size_t>(1, max_points));
  std::ostringstream o;
  o << open_svg("scatter", title) << axes(r, r, x_label, y_label);
  o << "<line x1=\"" << px(sx(r.lo)) << "\" y1=\"" << px(sy(r.lo)) << "\" x2=\"" << px(sx(r.hi)) << "\" y2=\""
    << px(sy(r.hi)) << "\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>";
  o << "<g fill=\"#1f77b4\" fill-opacity=\"0.45\">";
  for (size_t i = 0; i < n; i += stride) o << "<circle cx=\"" << px(sx(x[i])) << "\" cy=\"" << px(sy(y[i])) << "\" r=\"1.8\"/>";
  o << "</g>";
  if (stride > 1)
    o << "<text x=\"" << kWidth - kRight << "\" y=\"" << kTop - 4 << "\" text-anchor=\"end\" fill=\"#666\">1 in "
      << stride << " of " << n << " points shown</text>";
  o << "</svg>";
  return o.str();
}

std::string svg_histogram(const std::vector<double>& values, int bins, const std::string& title,
                          const std::string& x_label, bool log_y) {
  bins = std::max(1, bins);
  double lo = values.empty() ? 0 : *std::min_element(values.begin(), values.end());
  double hi = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
  const Range xr = nice_range(lo, hi);
  // Bin edges on a 1-2-5 grid too, so a bin reads as "2 to 4 LSB", not "-0.5788 to 0.3012".
  const std::vector<double> fine = nice_ticks(xr.lo, xr.hi, bins);
  const double step = fine.size() > 1 ? fine[1] - fine[0] : xr.span();
  bins = std::max(1, static_cast<int>(std::lround(xr.span() / step)));
  std::vector<size_t> counts(static_cast<size_t>(bins), 0);
  for (double v : values) {
    int b = static_cast<int>(std::floor((v - xr.lo) / step));
    counts[static_cast<size_t>(std::clamp(b, 0, bins - 1))]++;
  }
  const size_t most = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  Range yr{0, 1};
  std::vector<Tick> y_ticks;
  // On a log axis a bar of height log10(1 + count): 1 stays visible beside 4,000.
  auto height_of = [&](size_t c) { return log_y ? std::log10(1.0 + static_cast<double>(c)) : static_cast<double>(c); };
  if (log_y) {
    int decades = 1;
    while (std::pow(10.0, decades) < static_cast<double>(most) + 1) ++decades;
    yr = {0, static_cast<double>(decades)};
    y_ticks.push_back({0, "0"});
    for (int d = 0; d <= decades; ++d) {
      char label[32];
      std::snprintf(label, sizeof label, "%.0f", std::pow(10.0, d));
      y_ticks.push_back({std::log10(1.0 + std::pow(10.0, d)), label});
    }
    y_ticks.erase(std::remove_if(y_ticks.begin(), y_ticks.end(), [&](const Tick& t) { return t.at > yr.hi + 1e-9; }),
                  y_ticks.end());
  } else {
    yr = nice_range(0, static_cast<double>(std::max<size_t>(most, 1)));
  }
  std::ostringstream o;
  o << open_svg("histogram", title)
    << axes(xr, yr, x_label, log_y ? "count (log scale)" : "count", log_y ? &y_ticks : nullptr);
  o << "<g fill=\"#1f77b4\" stroke=\"#ffffff\" stroke-width=\"0.5\">";
  const double w = static_cast<double>(kPlotW) / bins;
  for (int b = 0; b < bins; ++b) {
    const double h = height_of(counts[static_cast<size_t>(b)]) / yr.hi * kPlotH;
    o << "<rect x=\"" << px(kLeft + b * w) << "\" y=\"" << px(kTop + kPlotH - h) << "\" width=\"" << px(w)
      << "\" height=\"" << px(h) << "\"><title>" << fmt(xr.lo + step * b) << " to " << fmt(xr.lo + step * (b + 1)) << ": "
      << counts[static_cast<size_t>(b)] << "</title></rect>";
  }
  o << "</g></svg>";
  return o.str();
}

std::string svg_heatmap(const std::vector<double>& cells, size_t rows, size_t cols, const std::string& title,
                        const std::string& x_label, const std::string& y_label, const std::string& value_label) {
  rows = std::max<size_t>(rows, 1);
  cols = std::max<size_t>(cols, 1);
  double most = 0;
  for (double v : cells) most = std::max(most, v);
  // The legend takes a strip on the right of the plot area.
  const int legend_w = 14, gap = 40;
  const double grid_w = kPlotW - legend_w - gap;
  const double cw = grid_w / cols, ch = static_cast<double>(kPlotH) / rows;
  std::ostringstream o;
  o << open_svg("heatmap", title);
  o << "<g shape-rendering=\"crispEdges\">";
  auto fill_of = [&](size_t r, size_t c) {
    const double v = r * cols + c < cells.size() ? cells[r * cols + c] : 0;
    return colour(most > 0 ? v / most : 0);
  };
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols;) {
      // Runs of one colour are one rect: a mostly uniform map (bit-exact) stays a few kilobytes.
      const std::string f = fill_of(r, c);
      size_t end = c + 1;
      while (end < cols && fill_of(r, end) == f) ++end;
      o << "<rect x=\"" << px(kLeft + c * cw) << "\" y=\"" << px(kTop + r * ch) << "\" width=\""
        << px((end - c) * cw + 0.1) << "\" height=\"" << px(ch + 0.1) << "\" fill=\"" << f << "\"/>";
      c = end;
    }
  o << "</g>";
  o << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << px(grid_w) << "\" height=\"" << kPlotH
    << "\" fill=\"none\" stroke=\"#444\"/>";
  const double lx = kLeft + grid_w + 10;
  for (int i = 0; i < 32; ++i)
    o << "<rect x=\"" << px(lx) << "\" y=\"" << px(kTop + kPlotH * (31 - i) / 32.0) << "\" width=\"" << legend_w
      << "\" height=\"" << px(kPlotH / 32.0 + 0.05) << "\" fill=\"" << colour(i / 31.0) << "\"/>";
  o << "<text x=\"" << px(lx + legend_w + 3) << "\" y=\"" << kTop + 8 << "\">" << fmt(most) << "</text>"
    << "<text x=\"" << px(lx + legend_w + 3) << "\" y=\"" << kTop + kPlotH << "\">0</text>";
  o << "<text x=\"" << px(kLeft + grid_w / 2) << "\" y=\"" << kTop + kPlotH + 16 << "\" text-anchor=\"middle\">"
    << html_escape(x_label) << "</text>";
  o << "<text transform=\"translate(14 " << kTop + kPlotH / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << html_escape(y_label) << " (top: 0)</text>";
  o << "<text x=\"" << kWidth - kRight << "\" y=\"" << kHeight - 12 << "\" text-anchor=\"end\" fill=\"#666\">colour: "
    << html_escape(value_label) << "</text>";
  o << "</svg>";
  return o.str();
}

}  // namespace attncheck
