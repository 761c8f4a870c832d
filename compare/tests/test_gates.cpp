// Gates parsing and verdicts, JUnit XML, report diffs and SVG plots, each against hand-made metrics.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "compare/diff.hpp"
#include "compare/gates.hpp"
#include "compare/junit.hpp"
#include "compare/svg_plots.hpp"
#include "compare/validation_report.hpp"
#include "compare/metrics.hpp"
#include "compare/report.hpp"
#include "fixtures/testing/test_support.hpp"
#include "ref/errors.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
namespace t = attncheck::testing;
using Json = nlohmann::json;

namespace {

Json vs_golden(double corr, double mae, double within5) {
  return {{"correlation", corr},
          {"mae", mae},
          {"rmse", mae * 1.5},
          {"max_abs_error", 9.0},
          {"max_abs_error_at", {0, 3, 1}},
          {"within", {{"0", 0.1}, {"1", 0.5}, {"2", 0.7}, {"5", within5}, {"10", 1.0}}},
          {"sqnr_db", 20.0},
          {"cosine", corr},
          {"output_range", {-10.0, 12.0}},
          {"count", 4096}};
}

Json report_with(const Json& metrics) {
  return {{"schema", kReportSchemaId},
          {"tool", {{"name", "attncheck"}, {"version", "0.1.0"}}},
          {"command", "run"},
          {"seed", 42},
          {"fixture",
           {{"path", "fx<&>"}, {"shape", {1, 64, 64}}, {"seed", 42}, {"recipe", "numpy-randint"}, {"scales", nullptr},
            {"sha256", {{"q.npy", std::string(64, 'a')}}}}},
          {"kernel", {{"revision", "uc-int32-lut"}, {"params", {{"scale_shift", 4}}}}},
          {"backend", {{"name", "npu"}, {"description", "Phoenix NPU"}, {"xclbin_sha256", std::string(64, 'f')}}},
          {"metrics", metrics},
          {"gates", Json::array()},
          {"pass", true}};
}

std::string parse_error(const Json& j) {
  try {
    parse_gates(j, "g.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("gates files are parsed strictly, every error naming the file", "[gates]") {
  CHECK_THAT(parse_error({{"min_corr", 0.9}}), Catch::StartsWith("g.json: unknown key 'min_corr'"));
  CHECK_THAT(parse_error({{"max_mae", "2"}}), Catch::Contains("'max_mae' must be a finite number"));
  CHECK_THAT(parse_error({{"max_mae", std::numeric_limits<double>::quiet_NaN()}}), Catch::Contains("finite"));
  CHECK_THAT(parse_error({{"max_rmse", -1}}), Catch::Contains(">= 0"));
  CHECK_THAT(parse_error({{"min_correlation", 1.5}}), Catch::Contains("[-1, 1]"));
  CHECK_THAT(parse_error({{"min_within", {{"3", 0.9}}}}), Catch::Contains("bucket '3'"));
  CHECK_THAT(parse_error({{"min_within", {{"5", 1.2}}}}), Catch::Contains("[0, 1]"));
  CHECK_THAT(parse_error({{"require_bit_exact", 1}}), Catch::Contains("true or false"));
  CHECK_THAT(parse_error({{"revisions", {{"no-such-rev", {{"max_mae", 1}}}}}}), Catch::Contains("unknown revision"));
  CHECK_THAT(parse_error({{"revisions", {{"uc-int32-lut", {{"revisions", {}}}}}}}), Catch::Contains("unknown key"));
  CHECK_THAT(parse_error(Json::array()), Catch::Contains("must be a JSON object"));
  CHECK(parse_error({{"min_correlation", 0.9}, {"min_within", {{"1", 0.99}, {"5", 0.95}}}}).empty());

  t::TempDir dir;
  CHECK_THROWS_WITH(load_gates(dir.file("missing.json")), Catch::StartsWith(dir.file("missing.json") + ": cannot read"));
  t::write_bytes(dir.file("nan.json"), "{\"max_mae\": NaN}");
  CHECK_THROWS_WITH(load_gates(dir.file("nan.json")), Catch::StartsWith(dir.file("nan.json") + ": not valid JSON"));
}

TEST_CASE("revision-keyed gates override the defaults field by field", "[gates]") {
  const GatesFile g = parse_gates(
      {{"min_correlation", 0.99}, {"max_mae", 2.0}, {"revisions", {{"uc-legacy-int8", {{"max_mae", 40.0}}}}}}, "g");
  const GateSpec legacy = gates_for_revision(g, "uc-legacy-int8");
  const GateSpec lut = gates_for_revision(g, "uc-int32-lut");
  CHECK(*legacy.max_mae == 40.0);
  CHECK(*legacy.min_correlation == 0.99);
  CHECK(*lut.max_mae == 2.0);
}

TEST_CASE("gate verdicts: thresholds are inclusive, undefined metrics fail, bit-exactness from vs_model", "[gates]") {
  const GatesFile g = parse_gates({{"min_correlation", 0.9},
                                   {"max_mae", 2.0},
                                   {"max_rmse", 3.0},
                                   {"max_abs_error", 8.0},
                                   {"min_within", {{"5", 0.95}}},
                                   {"require_bit_exact", true}},
                                  "g");
  Json metrics = {{"vs_golden", vs_golden(0.9, 2.0, 0.95)}};
  Json gates = evaluate_gates(g.defaults, metrics);
  REQUIRE(gates.size() == 6);
  CHECK(gates[0]["name"] == "min_correlation");
  CHECK(gates[0]["pass"] == true);  // equal to the threshold passes
  CHECK(gates[1]["pass"] == true);
  CHECK(gates[2]["pass"] == true);  // rmse 3.0 <= 3.0
  CHECK(gates[3]["name"] == "max_abs_error");
  CHECK(gates[3]["pass"] == false);  // 9 > 8
  CHECK(gates[4]["name"] == "min_within.5");
  CHECK(gates[4]["pass"] == true);
  CHECK(gates[5]["name"] == "require_bit_exact");
  CHECK(gates[5]["pass"] == true);  // no vs_model: the backend is the model
  CHECK_FALSE(gates_pass(gates));

  metrics["vs_golden"]["correlation"] = nullptr;
  metrics["vs_golden"]["correlation_reason"] = "dut output is constant";
  metrics["vs_model"] = {{"bit_exact", false}, {"mismatches", 1}, {"mismatch_rows", {{0, 1}}}, {"first_mismatches", Json::array()}};
  gates = evaluate_gates(g.defaults, metrics);
  CHECK(gates[0]["value"].is_null());
  CHECK(gates[0]["pass"] == false);
  CHECK(gates[5]["value"] == false);
  CHECK(gates[5]["pass"] == false);

  Json r = report_with(metrics);
  r["gates"] = gates;
  r["pass"] = gates_pass(gates);
  t::keep_report(r, "gates_failed");
}

TEST_CASE("JUnit XML has one case per gate, failures counted and text escaped", "[junit]") {
  const GatesFile g = parse_gates({{"min_correlation", 0.99}, {"max_mae", 2.0}}, "g");
  Json r = report_with({{"vs_golden", vs_golden(0.5, 1.0, 1.0)}});
  r["gates"] = evaluate_gates(g.defaults, r["metrics"]);
  r["pass"] = gates_pass(r["gates"]);
  const std::string xml = junit_xml("s<1>", junit_cases(r));
  CHECK_THAT(xml, Catch::Contains("tests=\"2\" failures=\"1\" errors=\"0\""));
  CHECK_THAT(xml, Catch::Contains("name=\"fx&lt;&amp;&gt;: min_correlation\""));
  CHECK_THAT(xml, Catch::Contains("<failure message=\"min_correlation failed"));
  CHECK_THAT(xml, Catch::Contains("name=\"s&lt;1&gt;\""));
  CHECK_THAT(xml, !Catch::Contains("fx<&>"));

  Json no_gates = report_with({{"vs_golden", vs_golden(0.5, 1.0, 1.0)}});
  const auto cases = junit_cases(no_gates);
  REQUIRE(cases.size() == 1);
  CHECK(cases[0].failure.empty());
  CHECK_THAT(junit_xml("s", {junit_error_case("r", "npu", "fx", "no device")}),
             Catch::Contains("errors=\"1\"") && Catch::Contains("<error message=\"no device\""));
}

TEST_CASE("diff marks each worsened metric and honours the tolerance", "[diff]") {
  const Json a = report_with({{"vs_golden", vs_golden(0.95, 1.0, 0.9)}});
  Json b = report_with({{"vs_golden", vs_golden(0.94, 1.0, 0.91)}});
  DiffResult d = diff_reports(a, "a", b, "b", 1e-9, std::nullopt);
  CHECK(d.regressions == std::vector<std::string>{"correlation"});
  CHECK_THAT(d.text, Catch::Contains("REGRESSED: correlation"));
  CHECK(diff_reports(a, "a", b, "b", 0.02, std::nullopt).regressions.empty());
  CHECK(diff_reports(b, "b", a, "a", 1e-9, std::nullopt).regressions == std::vector<std::string>{"within.5"});

  // Bit-exactness lost, and an identical report, which must never regress.
  b = report_with({{"vs_golden", vs_golden(0.95, 1.0, 0.9)},
                   {"vs_model", {{"bit_exact", false}, {"mismatches", 2}, {"mismatch_rows", {{0, 1}}}, {"first_mismatches", Json::array()}}}});
  CHECK(diff_reports(a, "a", b, "b", 1e-9, std::nullopt).regressions == std::vector<std::string>{"bit_exact"});
  CHECK(diff_reports(a, "a", a, "a", 0, std::nullopt).regressions.empty());
}

TEST_CASE("count_changes counts differing elements and rows", "[diff]") {
  DoubleTensor x(Shape{2, 3, 4}), y(Shape{2, 3, 4});
  y.at(0, 1, 2) = 1;
  y.at(0, 1, 3) = 1;
  y.at(1, 2, 0) = -1;
  const ElementChanges c = count_changes(x, y);
  CHECK(c.changed == 3);
  CHECK(c.count == 24);
  CHECK(c.changed_rows == 2);
  CHECK(c.rows == 6);
  CHECK_THROWS_AS(count_changes(x, DoubleTensor(Shape{1, 3, 4})), InputError);
}

TEST_CASE("SVG plots carry explicit non-zero sizes and survive degenerate data", "[svg]") {
  for (const std::string& svg :
       {svg_scatter({1, 1}, {1, 1}, "s", "x", "y"), svg_histogram({}, 10, "h", "x"),
        svg_heatmap({0, 0, 0, 0}, 2, 2, "m<", "x", "y", "v")}) {
    CHECK_THAT(svg, Catch::StartsWith("<svg ") && Catch::Contains("class=\"plot\"") &&
                        Catch::Contains("width=\"520\" height=\"380\"") && Catch::EndsWith("</svg>"));
    CHECK_THAT(svg, !Catch::Contains("nan") && !Catch::Contains("inf"));
  }
  CHECK_THAT(svg_heatmap({1}, 1, 1, "a<b", "x", "y", "v"), Catch::Contains("a&lt;b"));
  // 10000 points thinned to at most 2500 circles.
  std::vector<double> xs(10000), ys(10000);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = ys[i] = static_cast<double>(i);
  const std::string s = svg_scatter(xs, ys, "s", "x", "y");
  size_t circles = 0;
  for (size_t p = s.find("<circle"); p != std::string::npos; p = s.find("<circle", p + 1)) ++circles;
  CHECK(circles == 2500);
}

TEST_CASE("validation report: verdict first, gates in the metrics table, provenance with the xclbin hash", "[report]") {
  const GatesFile g = parse_gates({{"max_mae", 0.5}}, "g.json");
  Json r = report_with({{"vs_golden", vs_golden(0.5, 1.0, 1.0)}});
  r["gates"] = evaluate_gates(g.defaults, r["metrics"]);
  r["pass"] = gates_pass(r["gates"]);
  std::vector<ReportEntry> entries(2);
  entries[0].source = "r.json";
  entries[0].report = r;
  entries[0].run = run_report_from_json(r, "r.json");
  entries[1].source = "s.json#x";
  entries[1].error = "boom";
  CHECK(overall_verdict(entries) == "ERROR");
  CHECK(overall_verdict({entries[0]}) == "FAIL");
  const std::string md = render_markdown(entries);
  CHECK_THAT(md, Catch::StartsWith("## ") && Catch::Contains("validation: ERROR"));
  CHECK_THAT(md, Catch::Contains("| MAE (LSB) | 1.0000 | <= 0.5000 | FAIL |"));
  CHECK_THAT(md, Catch::Contains(std::string(64, 'f')));
  const std::string html = render_html(entries);
  CHECK(html.find("attncheck validation: ERROR") < html.find("<table"));
  // Nothing fetched: no script, no src, no remote href, no CSS url().
  CHECK_THAT(html, !Catch::Contains("<script") && !Catch::Contains("src=") && !Catch::Contains("href=\"http") &&
                       !Catch::Contains("url("));
  CHECK_THAT(html, Catch::Contains("data-plot=\"heatmap\""));  // the per-row mismatch map needs no arrays
  t::keep_report(r, "report_gates");
}

TEST_CASE("plots: nice ticks step by 1, 2 or 5 times a power of ten and end the axis on a tick", "[report][plots]") {
  using V = std::vector<double>;
  CHECK(nice_ticks(-0.5788, 0.9123) == V{-1, -0.5, 0, 0.5, 1});  // the odd tick -0.5788 is gone
  CHECK(nice_ticks(-103, 113) == V{-150, -100, -50, 0, 50, 100, 150});
  CHECK(nice_ticks(0, 4096) == V{0, 1000, 2000, 3000, 4000, 5000});
  CHECK(nice_ticks(3, 3) == V{2, 2.5, 3, 3.5, 4});
  for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{{-61, 62}, {1e-7, 3e-7}, {-1e9, 1}, {0.1, 0.7}}) {
    const V t = nice_ticks(lo, hi);
    INFO(lo << " " << hi);
    REQUIRE(t.size() >= 2);
    CHECK(t.front() <= lo);
    CHECK(t.back() >= hi);
    CHECK(t.size() <= 11);
    const double step = t[1] - t[0], mag = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    const double m = step / mag;
    CHECK((std::fabs(m - 1) < 1e-6 || std::fabs(m - 2) < 1e-6 || std::fabs(m - 5) < 1e-6));
  }
  // The error histogram's count axis is logarithmic on request: one element in a tail is a visible bar.
  std::vector<double> err(4000, 0.0);
  err.push_back(90.0);
  const std::string lin = svg_histogram(err, 40, "h", "x"), log = svg_histogram(err, 40, "h", "x", true);
  CHECK_THAT(log, Catch::Contains("count (log scale)") && Catch::Contains(">1000<"));
  CHECK_THAT(lin, !Catch::Contains("log scale"));
  auto bar_height = [](const std::string& svg, const std::string& title_end) {
    const size_t t = svg.find(title_end);
    REQUIRE(t != std::string::npos);
    const size_t h = svg.rfind("height=\"", t);
    return std::stod(svg.substr(h + 8));
  };
  CHECK(bar_height(log, ": 1</title>") > 20.0);  // 1 of 4001 is a bar a reader sees
  CHECK(bar_height(lin, ": 1</title>") < 1.0);   // the linear axis hides it
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
