#include "output/svg_chart.h"

#include <expat.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace salvo::output {
namespace {

struct Seen {
  std::vector<std::string> series;
  std::vector<std::string> texts;
  std::string current_text;
  bool in_text = false;
};

void XMLCALL Start(void* data, const XML_Char* name, const XML_Char** attrs) {
  auto* s = static_cast<Seen*>(data);
  if (std::string(name) == "text") {
    s->in_text = true;
    s->current_text.clear();
  }
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    if (std::string(attrs[i]) == "data-series") s->series.push_back(attrs[i + 1]);
  }
}
void XMLCALL End(void* data, const XML_Char* name) {
  auto* s = static_cast<Seen*>(data);
  if (std::string(name) == "text") {
    s->texts.push_back(s->current_text);
    s->in_text = false;
  }
}
void XMLCALL Chars(void* data, const XML_Char* text, int len) {
  auto* s = static_cast<Seen*>(data);
  if (s->in_text) s->current_text.append(text, static_cast<size_t>(len));
}

Seen Parse(const std::string& svg) {
  Seen seen;
  XML_Parser p = XML_ParserCreate(nullptr);
  XML_SetUserData(p, &seen);
  XML_SetElementHandler(p, Start, End);
  XML_SetCharacterDataHandler(p, Chars);
  EXPECT_EQ(XML_Parse(p, svg.data(), static_cast<int>(svg.size()), 1), XML_STATUS_OK);
  XML_ParserFree(p);
  return seen;
}

TEST(SvgChart, EscapesNamesAndLabelsEverything) {
  Chart c{"A <title> & more", "size", "MB/s", true, {}, nullptr};
  c.series.push_back({"copy<&>\"", {{1024, 10}, {4096, 30}, {2048, 20}}});
  c.series.push_back({"zc", {{1024, 5}, {4096, 40}}});
  c.series.push_back({"empty", {}});
  const Seen seen = Parse(output::RenderSvg({c}));
  EXPECT_EQ(seen.series, (std::vector<std::string>{"copy<&>\"", "zc", "empty"}));
  auto has = [&](const std::string& t) {
    return std::find(seen.texts.begin(), seen.texts.end(), t) != seen.texts.end();
  };
  EXPECT_TRUE(has("A <title> & more"));
  EXPECT_TRUE(has("size (log scale)"));
  EXPECT_TRUE(has("MB/s"));
  EXPECT_TRUE(has("1.024k"));  // x ticks at the data's x values
  EXPECT_TRUE(has("4.096k"));
  EXPECT_TRUE(has("40"));  // y axis reaches the largest value
}

TEST(SvgChart, PathsFollowTheDataInXOrder) {
  Chart c{"t", "x", "y", false, {}, nullptr};
  c.series.push_back({"s", {{3, 1}, {1, 1}, {2, 1}}});
  const std::string svg = output::RenderSvg({c});
  const size_t d = svg.find(" d=\"M");
  ASSERT_NE(d, std::string::npos);
  // Three points, drawn left to right: one move and two lines.
  const std::string path = svg.substr(d, svg.find('"', d + 4) - d);
  EXPECT_EQ(std::count(path.begin(), path.end(), 'L'), 2) << path;
  Parse(svg);
}

}  // namespace
}  // namespace salvo::output
