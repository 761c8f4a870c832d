// The CLI of gates, JUnit, diff, report and suite, checked against the issue's acceptance items end to end.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "fixtures/testing/test_support.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

namespace t = attncheck::testing;
using Json = nlohmann::json;

namespace {

std::string seed42() { return t::shared_dir() + "/vectors/seed42"; }

void write_json(const std::string& path, const Json& j) { t::write_bytes(path, j.dump()); }

Json read_json(const std::string& path) { return Json::parse(t::read_text(path)); }

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("acceptance 1: failing gates exit 1 with pass false and JUnit failures, loose gates exit 0", "[cli][gates]") {
  t::TempDir dir;
  write_json(dir.file("strict.json"), {{"min_correlation", 0.99}, {"max_mae", 2.0}, {"min_within", {{"5", 0.95}}}});
  write_json(dir.file("loose.json"), {{"min_correlation", 0.5}});
  auto r = t::run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--gates", dir.file("strict.json"),
                       "--json", dir.file("strict_report.json"), "--junit", dir.file("strict.xml")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.empty());
  const Json rep = read_json(dir.file("strict_report.json"));
  CHECK(rep["pass"] == false);
  REQUIRE(rep["gates"].size() == 3);
  for (const auto& g : rep["gates"]) CHECK(g["pass"] == false);
  CHECK(rep["gates"][0]["name"] == "min_correlation");
  CHECK(rep["gates"][0]["value"] == rep["metrics"]["vs_golden"]["correlation"]);
  const std::string xml = t::read_text(dir.file("strict.xml"));
  CHECK_THAT(xml, Catch::Contains("tests=\"3\" failures=\"3\""));
  CHECK(count(xml, "<failure ") == 3);
  CHECK_THAT(r.out, Catch::Contains("verdict   FAIL"));

  r = t::run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--gates", dir.file("loose.json"), "--json",
                  dir.file("loose_report.json"), "--junit", dir.file("loose.xml")});
  CHECK(r.exit_code == 0);
  CHECK(read_json(dir.file("loose_report.json"))["pass"] == true);
  CHECK_THAT(t::read_text(dir.file("loose.xml")), Catch::Contains("tests=\"1\" failures=\"0\""));
}

TEST_CASE("a bad gates file exits 2 with one line naming it and writes no report", "[cli][gates]") {
  t::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"unknown.json", R"({"min_corr": 0.9})"},
      {"type.json", R"({"max_mae": "2"})"},
      {"nan.json", R"({"max_mae": NaN})"},
  };
  for (const auto& [name, text] : bad) {
    t::write_bytes(dir.file(name), text);
    const auto r = t::run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--gates", dir.file(name),
                               "--json", dir.file("r.json"), "--junit", dir.file("r.xml")});
    CHECK(r.exit_code == 2);
    REQUIRE(r.err_lines().size() == 1);
    CHECK_THAT(r.err_lines()[0], Catch::StartsWith("attncheck: " + dir.file(name) + ": "));
    CHECK_FALSE(t::file_exists(dir.file("r.json")));
    CHECK_FALSE(t::file_exists(dir.file("r.xml")));
  }
  const auto r = t::run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--gates", dir.file("missing.json")});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("missing.json"));
}

TEST_CASE("acceptance 2: diff of uc-int32-lut then uc-legacy-int8 regresses and names the metrics, the reverse is ok",
          "[cli][diff]") {
  t::TempDir dir;
  const std::string lut = dir.file("lut.json"), legacy = dir.file("legacy.json");
  REQUIRE(t::run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--keep-outputs", "--json", lut}).exit_code == 0);
  REQUIRE(t::run_cli({"run", "--kernel", "uc-legacy-int8", "--fixture", seed42(), "--keep-outputs", "--json", legacy}).exit_code == 0);
  CHECK(t::file_exists(dir.file("lut.device.npy")));
  CHECK(t::file_exists(dir.file("lut.golden.npy")));

  auto r = t::run_cli({"diff", lut, legacy});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("REGRESSED: correlation, mae, rmse, within."));
  CHECK_THAT(r.out, Catch::Contains("elements changed"));
  r = t::run_cli({"diff", legacy, lut});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("does not regress"));
  // A huge tolerance forgives the regression.
  CHECK(t::run_cli({"diff", lut, legacy, "--tolerance", "100"}).exit_code == 0);

  r = t::run_cli({"diff", "--kernel", "uc-int32-lut", "--kernel", "uc-legacy-int8", "--fixture", seed42()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("REGRESSED: correlation"));

  // A kept output replaced after the fact is detected, not silently diffed.
  t::write_bytes(dir.file("lut.device.npy"), t::read_text(dir.file("legacy.device.npy")));
  r = t::run_cli({"diff", lut, legacy});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("changed since the report was written"));
  CHECK(t::run_cli({"diff", lut}).exit_code == 2);
}

TEST_CASE("acceptance 3: report writes HTML with the four plots and a Markdown table", "[cli][report]") {
  t::TempDir dir;
  const std::string host = dir.file("host.json"), legacy = dir.file("legacy.json");
  write_json(dir.file("g.json"), {{"min_correlation", 0.9}, {"require_bit_exact", true}});
  REQUIRE(t::run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--backend", "host", "--keep-outputs",
                      "--gates", dir.file("g.json"), "--json", host})
              .exit_code == 0);
  REQUIRE(t::run_cli({"run", "--kernel", "uc-legacy-int8", "--fixture", seed42(), "--gates", dir.file("g.json"), "--json",
                      legacy})
              .exit_code == 1);
  const auto r = t::run_cli({"report", host, legacy, "--md", dir.file("r.md"), "--html", dir.file("r.html")});
  REQUIRE(r.exit_code == 0);
  const std::string html = t::read_text(dir.file("r.html"));
  CHECK(count(html, "data-plot=\"scatter\"") == 1);
  CHECK(count(html, "data-plot=\"histogram\"") == 1);
  CHECK(count(html, "data-plot=\"heatmap\"") == 3);  // error heatmap + mismatch map; the un-kept report's map
  CHECK_THAT(html, Catch::Contains("Device vs model mismatch map") && Catch::Contains("Per-row error heatmap"));
  CHECK(html.find("attncheck validation: FAIL") < html.find("<table"));
  CHECK_THAT(html, Catch::Contains("rerun with"));  // the report without kept outputs says how to get plots
  const std::string md = t::read_text(dir.file("r.md"));
  CHECK_THAT(md, Catch::StartsWith("## ") && Catch::Contains("validation: FAIL"));
  CHECK_THAT(md, Catch::Contains("| verdict | revision | fixture |") && Catch::Contains("| FAIL | uc-legacy-int8 |"));
  CHECK_THAT(md, Catch::Contains("| correlation | 0.190901 | >= 0.9000 | FAIL |"));
  CHECK(t::run_cli({"report", host}).exit_code == 2);  // no output asked for
  CHECK(t::run_cli({"report", dir.file("g.json"), "--md", dir.file("x.md")}).exit_code == 2);  // not a report
}

TEST_CASE("acceptance 4: a 3 x 4 suite with -j 2 agrees with the 12 single runs", "[cli][suite]") {
  t::TempDir dir;
  const std::vector<std::string> fixtures = {t::source_dir() + "/fixtures/seed42", seed42(), dir.file("fx3"), dir.file("fx5")};
  REQUIRE(t::run_cli({"fixture", "make", "--recipe", "numpy-randint", "--seed", "3", "--out", fixtures[2]}).exit_code == 0);
  REQUIRE(t::run_cli({"fixture", "make", "--recipe", "realistic", "--seed", "5", "--heads", "2", "--out", fixtures[3]}).exit_code == 0);
  const std::vector<std::string> revisions = {"uc-legacy-int8", "uc-int32-lut", "precise-v1"};
  write_json(dir.file("gates.json"), {{"min_correlation", 0.5}, {"revisions", {{"precise-v1", {{"min_correlation", 0.999}}}}}});
  write_json(dir.file("suite.json"), {{"fixtures", fixtures}, {"revisions", revisions}, {"backends", {"model"}}});
  const auto r = t::run_cli({"suite", dir.file("suite.json"), "--gates", dir.file("gates.json"), "-j", "2", "--json",
                             dir.file("agg.json"), "--junit", dir.file("suite.xml")});
  CHECK(r.exit_code == 1);  // uc-legacy-int8 misses min_correlation 0.5
  CHECK(r.err.empty());     // no progress bar when stderr is not a terminal
  const Json agg = read_json(dir.file("agg.json"));
  CHECK(agg["schema"] == "attncheck.suite/1");
  REQUIRE(agg["cases"].size() == 12);
  CHECK(agg["summary"]["cases"] == 12);
  size_t failed = 0;
  for (const auto& fx : fixtures)
    for (const auto& rev : revisions) {
      const Json* found = nullptr;
      for (const auto& c : agg["cases"])
        if (c["fixture"] == fx && c["revision"] == rev) found = &c;
      REQUIRE(found);
      REQUIRE((*found)["status"] == "ok");
      const std::string single = dir.file("single.json");
      const auto s = t::run_cli({"run", "--kernel", rev, "--fixture", fx, "--gates", dir.file("gates.json"), "--json", single});
      Json one = read_json(single);
      const Json& in_suite = (*found)["report"];
      CHECK(in_suite["metrics"] == one["metrics"]);
      CHECK(in_suite["gates"] == one["gates"]);
      CHECK(in_suite["pass"] == one["pass"]);
      CHECK(in_suite["kernel"] == one["kernel"]);
      CHECK(in_suite["fixture"] == one["fixture"]);
      CHECK(s.exit_code == (one["pass"] == true ? 0 : 1));
      failed += one["pass"] == false;
    }
  CHECK(agg["summary"]["failed"] == failed);
  CHECK(agg["summary"]["passed"] == 12 - failed);
  CHECK(agg["pass"] == false);
  const std::string xml = t::read_text(dir.file("suite.xml"));
  CHECK_THAT(xml, Catch::Contains("tests=\"12\" failures=\"" + std::to_string(failed) + "\""));
}

TEST_CASE("suite: shapes a revision does not cover are skipped, bad suite files exit 2", "[cli][suite]") {
  t::TempDir dir;
  write_json(dir.file("s.json"), {{"fixtures", {t::shared_dir() + "/vectors/seed7_h2_s200"}},
                                  {"revisions", {"uc-int32-lut", "precise-v1"}}});
  auto r = t::run_cli({"suite", dir.file("s.json"), "--json", dir.file("agg.json"), "-j", "1"});
  CHECK(r.exit_code == 0);
  const Json agg = read_json(dir.file("agg.json"));
  CHECK(agg["summary"]["skipped"] == 1);
  CHECK(agg["summary"]["passed"] == 1);
  CHECK(agg["cases"][0]["status"] == "skipped");

  write_json(dir.file("bad.json"), {{"fixtures", {"x"}}, {"revisions", {"uc-int32-lut"}}, {"extra", 1}});
  r = t::run_cli({"suite", dir.file("bad.json"), "--json", dir.file("bad_agg.json")});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("unknown key 'extra'"));
  write_json(dir.file("bad2.json"), {{"fixtures", {dir.file("nowhere")}}, {"revisions", {"uc-int32-lut"}}});
  CHECK(t::run_cli({"suite", dir.file("bad2.json"), "--json", dir.file("bad_agg.json")}).exit_code == 2);
  CHECK_FALSE(t::file_exists(dir.file("bad_agg.json")));
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
