// One description per settings struct, and everything derived from it. A struct is
// described once with BOOST_DESCRIBE_STRUCT (the YAML key is the member name; dump
// order is description order); the rules of the fields that need one sit next to
// it in a settings_fields() function found by ADL:
//
//   struct HeloSettings { bool enabled = false; std::chrono::milliseconds timeout = 5s; };
//   BOOST_DESCRIBE_STRUCT(HeloSettings, (), (enabled, timeout))
//   inline auto settings_fields(const HeloSettings*) {
//       return std::tuple{settings::field<&HeloSettings::timeout>(settings::duration(1ms, 1min))};
//   }
//
// From that: key_names<T>() (unknown keys get the did-you-mean hint), decode_section<T>()
// (located errors, a bad field keeps its default) and dump_section<T>() (--check-config).
// Checks across fields go in an optional settings_check(T&, const settings::Section&),
// also found by ADL, called after the fields are decoded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/mp11/algorithm.hpp>

#include "proxy/core/settings/codecs.hpp"

namespace mxgate::settings {

// One field's rule: the member it is for, and the codec that reads and writes it.
template <auto Member, class Codec>
struct Field {
    static constexpr auto member = Member;
    Codec codec;
};

template <auto Member, class Codec>
constexpr Field<Member, Codec> field(Codec codec) {
    return {codec};
}

// What a check hook sees: the section's map (for marks and has()), its reporter,
// and which fields decoded cleanly, so two values are compared only when both are real.
class Section {
public:
    Section(MapReader& map, std::vector<std::string> failed) : map_(map), failed_(std::move(failed)) {}
    MapReader& map() const noexcept { return map_; }
    Reporter& reporter() const noexcept { return map_.reporter(); }
    std::string path(std::string_view key) const { return map_.field_path(key); }
    // No error was reported while decoding this field.
    bool clean(std::string_view key) const {
        return std::find(failed_.begin(), failed_.end(), key) == failed_.end();
    }

private:
    MapReader& map_;
    std::vector<std::string> failed_;
};

// The defaults of the hooks; a struct's own overloads (non-templates) win.
template <class T>
std::tuple<> settings_fields(const T*) {
    return {};
}
template <class T>
void settings_check(T&, const Section&) {}

template <class T>
using members_of = boost::describe::describe_members<T, boost::describe::mod_public>;

// The YAML keys of a described struct, in description order.
template <class T>
std::vector<std::string> key_names() {
    std::vector<std::string> names;
    boost::mp11::mp_for_each<members_of<T>>([&](auto member) { names.emplace_back(member.name); });
    return names;
}

template <class T>
void decode_into(MapReader& map, T& value);
template <class T>
void dump_members(Writer& w, const T& value);

// A described enum: one of its enumerator names ("sqlite", "redis").
template <class E>
struct ChoiceCodec {
    void decode(MapReader& m, std::string_view key, E& value) const {
        std::string what = "one of ";
        boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto e) {
            if (what.size() > 7) what += ", ";
            what += e.name;
        });
        if (!m.has(key)) return;
        const YAML::Node node = m.get(key);
        bool found = false;
        if (node.IsScalar())
            boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto e) {
                if (!found && node.Scalar() == e.name) {
                    value = e.value;
                    found = true;
                }
            });
        if (!found) m.expected(key, what);
    }
    void dump(Writer& w, const char* key, E value) const {
        const char* name = "";
        boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto e) {
            if (value == e.value) name = e.name;
        });
        w.plain(key, name);
    }
};

// A described struct inside another: a nested map ("fcrdns:", "sqlite:").
template <class V>
struct NestedCodec {
    void decode(MapReader& m, std::string_view key, V& value) const {
        MapReader nested(m.get(key), m.field_path(key), m.reporter(), key_names<V>());
        if (nested.is_map()) decode_into(nested, value);
    }
    void dump(Writer& w, const char* key, const V& value) const {
        w.begin(key);
        dump_members(w, value);
        w.end();
    }
};

// A list of described structs, each a map ("lists: [{name: zen, ...}]"), dumped one per line.
// `what` names the elements for "expected a list of <what>"; `example` shows one.
template <class V>
struct ListCodec {
    const char* what;
    const char* example;
    void decode(MapReader& m, std::string_view key, std::vector<V>& value) const {
        Reporter& reporter = m.reporter();
        for_each_item(m, key, what, reporter, [&](const YAML::Node& item, const YAML::Mark& mark, const std::string& path) {
            if (!item.IsMap()) {
                reporter.error(mark, path + ": expected a map like " + example + ", got " + describe(item));
                return;
            }
            MapReader element(item, path, reporter, key_names<V>());
            V decoded{};
            decode_into(element, decoded);
            value.push_back(std::move(decoded));
        });
    }
    void dump(Writer& w, const char* key, const std::vector<V>& value) const {
        w.begin_list(key, value.empty());
        for (const V& element : value) {
            w.begin_item();
            dump_members(w, element);
            w.end_item();
        }
        w.end_list();
    }
};

template <class V>
constexpr ListCodec<V> list_of(const char* what, const char* example) {
    return {what, example};
}

namespace detail {

template <class V>
auto default_codec() {
    if constexpr (std::is_same_v<V, bool>) return FlagCodec{};
    else if constexpr (std::is_same_v<V, std::string>) return TextCodec{};
    else if constexpr (boost::describe::has_describe_enumerators<V>::value) return ChoiceCodec<V>{};
    else if constexpr (boost::describe::has_describe_members<V>::value) return NestedCodec<V>{};
    else static_assert(sizeof(V) == 0, "this field needs a rule: settings::field<&T::member>(codec)");
}

// The index in `Fields` of the rule for `Member`, or the size of `Fields` when it has none.
template <auto Member, class Fields, std::size_t I = 0>
constexpr std::size_t rule_index() {
    if constexpr (I == std::tuple_size_v<Fields>) {
        return I;
    } else {
        using Rule = std::tuple_element_t<I, Fields>;
        if constexpr (std::is_same_v<std::remove_cv_t<decltype(Rule::member)>, std::remove_cv_t<decltype(Member)>>) {
            if constexpr (Rule::member == Member) return I;
            else return rule_index<Member, Fields, I + 1>();
        } else {
            return rule_index<Member, Fields, I + 1>();
        }
    }
}

template <class T>
const auto& rules_of() {
    static const auto rules = settings_fields(static_cast<const T*>(nullptr));
    return rules;
}

// The codec of member `D` of `T`: its rule's, else the one its type implies.
template <class T, class D>
auto codec_of() {
    using Rules = std::remove_cvref_t<decltype(rules_of<T>())>;
    constexpr std::size_t index = rule_index<D::pointer, Rules>();
    if constexpr (index < std::tuple_size_v<Rules>) {
        return std::get<index>(rules_of<T>()).codec;
    } else {
        using V = std::remove_cvref_t<decltype(std::declval<T&>().*D::pointer)>;
        return default_codec<V>();
    }
}

}  // namespace detail

// Decodes the described fields of `value` whose key `wanted(key)` selects (a
// backend's keys depend on its type); returns the keys that reported an error.
template <class T, class Wanted>
std::vector<std::string> decode_fields_if(MapReader& map, T& value, Wanted wanted) {
    std::vector<std::string> failed;
    boost::mp11::mp_for_each<members_of<T>>([&](auto member) {
        if (!wanted(std::string_view(member.name))) return;
        const std::size_t errors_before = map.reporter().error_count();
        detail::codec_of<T, decltype(member)>().decode(map, member.name, value.*member.pointer);
        if (map.reporter().error_count() != errors_before) failed.emplace_back(member.name);
    });
    return failed;
}

// Decodes every described field of `value` present in `map`, then the struct's check hook.
template <class T>
void decode_into(MapReader& map, T& value) {
    std::vector<std::string> failed = decode_fields_if(map, value, [](std::string_view) { return true; });
    settings_check(value, Section(map, std::move(failed)));
}

// One section at `path` ("filters.helo"): its defaults when absent or not a map.
template <class T>
T decode_section(const YAML::Node& node, const std::string& path, Reporter& reporter) {
    T value{};
    MapReader map(node, path, reporter, key_names<T>());
    if (map.is_map()) decode_into(map, value);
    return value;
}

// Writes the described fields of `value` whose key `wanted(key)` selects.
template <class T, class Wanted>
void dump_members_if(Writer& w, const T& value, Wanted wanted) {
    boost::mp11::mp_for_each<members_of<T>>([&](auto member) {
        if (wanted(std::string_view(member.name)))
            detail::codec_of<T, decltype(member)>().dump(w, member.name, value.*member.pointer);
    });
}

template <class T>
void dump_members(Writer& w, const T& value) {
    dump_members_if(w, value, [](std::string_view) { return true; });
}

// "key:" and every field of `value`, in description order.
template <class T>
void dump_section(Writer& w, const char* key, const T& value) {
    w.begin(key);
    dump_members(w, value);
    w.end();
}

}  // namespace mxgate::settings
