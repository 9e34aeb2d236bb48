package batchimage.vectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FilterParserTest {

    private final ObjectMapper json = new ObjectMapper();

    private Filter parse(String s) throws Exception {
        return FilterParser.parse(json.readTree(s));
    }

    private boolean matches(String filter, Map<String, Object> metadata) throws Exception {
        return FilterParser.matches(parse(filter), metadata);
    }

    private static final Map<String, Object> CAT = Map.of("theme", "coco", "sub_theme", "ANIMAL", "year", 2019.0,
            "hd", true, "tags", List.of("cat", "sofa"));

    @Test
    void shorthandEqualityAndImplicitAnd() throws Exception {
        assertThat(parse("{\"genre\": \"comedy\", \"year\": {\"$eq\": 2019}}")).isEqualTo(new Filter.And(List.of(
                new Filter.Compare("genre", Filter.Op.EQ, "comedy"), new Filter.Compare("year", Filter.Op.EQ, 2019.0))));
        assertThat(matches("{\"theme\": \"coco\", \"year\": 2019}", CAT)).isTrue();
        assertThat(matches("{\"theme\": \"coco\", \"year\": 2020}", CAT)).isFalse();
    }

    @Test
    void everyOperator() throws Exception {
        assertThat(matches("{\"sub_theme\": {\"$ne\": \"FOOD\"}}", CAT)).isTrue();
        assertThat(matches("{\"year\": {\"$gt\": 2018}}", CAT)).isTrue();
        assertThat(matches("{\"year\": {\"$gt\": 2019}}", CAT)).isFalse();
        assertThat(matches("{\"year\": {\"$gte\": 2019, \"$lte\": 2019}}", CAT)).isTrue();
        assertThat(matches("{\"year\": {\"$lt\": 2019}}", CAT)).isFalse();
        assertThat(matches("{\"sub_theme\": {\"$in\": [\"FOOD\", \"ANIMAL\"]}}", CAT)).isTrue();
        assertThat(matches("{\"sub_theme\": {\"$nin\": [\"FOOD\", \"ANIMAL\"]}}", CAT)).isFalse();
        assertThat(matches("{\"hd\": {\"$eq\": true}}", CAT)).isTrue();
        assertThat(matches("{\"hd\": {\"$exists\": true}}", CAT)).isTrue();
        assertThat(matches("{\"file_path\": {\"$exists\": false}}", CAT)).isTrue();
        assertThat(matches("{\"$or\": [{\"sub_theme\": \"FOOD\"}, {\"year\": {\"$lt\": 2020}}]}", CAT)).isTrue();
        assertThat(matches("{\"$and\": [{\"sub_theme\": \"ANIMAL\"}, {\"year\": {\"$lt\": 2000}}]}", CAT)).isFalse();
    }

    @Test
    void aListFieldMatchesWhenAnyElementDoes() throws Exception {
        assertThat(matches("{\"tags\": {\"$in\": [\"cat\"]}}", CAT)).isTrue();
        assertThat(matches("{\"tags\": \"sofa\"}", CAT)).isTrue();
        assertThat(matches("{\"tags\": {\"$nin\": [\"dog\"]}}", CAT)).isTrue();
        assertThat(matches("{\"tags\": {\"$ne\": \"cat\"}}", CAT)).isFalse();
    }

    @Test
    void anEmptyFilterMatchesEverything() throws Exception {
        assertThat(parse("{}")).isNull();
        assertThat(FilterParser.parse(null)).isNull();
    }

    @Test
    void invalidFiltersSayWhereAndWhy() {
        String[][] cases = {
            {"{\"$eq\": 1}", "filter.$eq", "only $and and $or"},
            {"{\"year\": {\"$gt\": \"2019\"}}", "filter.year.$gt", "takes a number"},
            {"{\"genre\": {\"$in\": \"comedy\"}}", "filter.genre.$in", "takes an array"},
            {"{\"genre\": {\"$in\": [true]}}", "filter.genre.$in[0]", "strings or numbers"},
            {"{\"genre\": [\"comedy\", \"drama\"]}", "filter.genre", "use $in"},
            {"{\"genre\": {\"$eq\": [\"comedy\"]}}", "filter.genre.$eq", "use $in"},
            {"{\"genre\": {\"$regex\": \"c.*\"}}", "filter.genre.$regex", "unknown operator"},
            {"{\"x\": {\"$exists\": 1}}", "filter.x.$exists", "true or false"},
            {"{\"$or\": []}", "filter.$or", "non-empty array"},
            {"{\"$and\": [{\"a\": 1}, 3]}", "filter.$and[1]", "expected an object"},
            {"{\"genre\": null}", "filter.genre", "null"},
            {"{\"genre\": {}}", "filter.genre", "empty object"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> parse(c[0])).as(c[0])
                    .isInstanceOfSatisfying(FilterException.class, e -> assertThat(e.path()).isEqualTo(c[1]))
                    .hasMessageContaining(c[2]);
        }
        var big = new StringBuilder("{\"id\": {\"$in\": [");
        for (int i = 0; i <= FilterParser.MAX_IN_VALUES; i++) {
            big.append(i == 0 ? "" : ",").append(i);
        }
        assertThatThrownBy(() -> parse(big.append("]}}").toString())).hasMessageContaining("at most 10000 values");
    }
}
