// load_one_document (yaml_document.hpp).
#include "proxy/core/settings/yaml_document.hpp"

#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>

namespace mxgate::settings {

namespace {

// Notes where documents start and ignores everything else.
class DocumentStarts : public YAML::EventHandler {
public:
    std::vector<YAML::Mark> marks;
    void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

}  // namespace

YamlDocument load_one_document(const std::string& text) {
    // Two documents at most: enough to tell "one" from "more", and a parser that
    // stops consuming input reports its second document where the first began.
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    DocumentStarts starts;
    while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
    }
    YamlDocument document;
    if (starts.marks.size() == 2) {
        if (starts.marks[1].pos == starts.marks[0].pos)
            throw YAML::ParserException(starts.marks[0], "the parser cannot read past this point");
        document.second_document = starts.marks[1];
    }
    document.root = YAML::Load(text);
    return document;
}

}  // namespace mxgate::settings
