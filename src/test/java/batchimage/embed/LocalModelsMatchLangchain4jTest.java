package batchimage.embed;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.support.TestLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The local models on ONNX Runtime give the vectors langchain4j 1.20's embedAll gives (so that indexes made
 * with it stay valid): cosine >= 0.9999 for every text of 500 real prompts and tags, texts longer than the
 * models' token limits (128 for MiniLM, 512 for bge) and odd ones; and the same token counts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalModelsMatchLangchain4jTest {

    private final LocalModels models = new LocalModels();
    private final List<String> texts = texts();

    @AfterAll
    void close() {
        models.close();
    }

    static Path sharedData() {
        return Path.of(System.getProperty("batch-image.test-data", TestLibrary.SHARED_DATA.toString()));
    }

    /** About 300 prompts spread over the archive, 150 tag lists and single tags of the COCO batch, 47 long or odd texts. */
    static List<String> texts() {
        var out = new LinkedHashSet<String>();
        var prompts = new ArrayList<String>();
        try (var r = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                Files.newInputStream(sharedData().resolve("prompts/sd-prompts.txt.gz"))), StandardCharsets.UTF_8))) {
            String line;
            for (int i = 0; (line = r.readLine()) != null; i++) {
                if (i % 1300 == 0 && !line.isBlank()) {
                    prompts.add(line);
                }
            }
            JsonNode coco = new ObjectMapper().readTree(sharedData().resolve("coco/batch_image_data_coco_final.json").toFile());
            var tags = new ArrayList<String>();
            coco.forEach(theme -> theme.forEach(rec -> {
                if (rec.hasNonNull("tags")) {
                    tags.add(rec.get("tags").asText());
                }
            }));
            for (int i = 0; i < tags.size() && out.size() < 100; i += 37) {
                out.add(tags.get(i));
            }
            for (int i = 0; i < tags.size() && out.size() < 150; i += 53) {
                out.add(tags.get(i).split(",")[0].trim());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (int i = 0; out.size() < 455; i++) {
            out.add(prompts.get(i));
        }
        for (int i = 0; i < 20; i++) {
            // 3 prompts are about 100 tokens, 12 about 400, 40 over 1,000: past both limits
            int k = i < 8 ? 3 : i < 16 ? 12 : 40;
            out.add(String.join(", ", prompts.subList(i * 3, i * 3 + k)));
        }
        out.addAll(List.of("a", "A.", "cat", "red", "photo of a dog", "don't stop ##now", "1girl, solo, masterpiece, best quality",
                "進撃の巨人 anime", "Ünïcödé àccents naïve café", "emoji 🐈‍⬛ 🎨 ✨ party", "tab\tand\nnew line", "x".repeat(150),
                "[CLS] literal [SEP] tokens [UNK]", "a  lot   of    spaces", "(masterpiece:1.2), ((detailed)), [blurry]",
                "ЁЖ кириллица", "日本語のテキストです", "ok" + "\u0000" + "control", "supercalifragilisticexpialidocious antidisestablishment",
                "https://example.com/a?b=c&d=e#f", "3.14159 26535 89793", "UPPER CASE TEXT", "the", "###", "##ing",
                "word" + "!".repeat(600), "pneumonoultramicroscopicsilicovolcanoconiosis ".repeat(30)));
        return List.copyOf(out);
    }

    @Test
    void miniLmGivesLangchain4jsVectorsAndTokenCounts() {
        check(LocalModels.MINILM, AllMiniLmL6V2QuantizedEmbeddingModel::new, 126);
    }

    @Test
    void bgeGivesLangchain4jsVectorsAndTokenCounts() {
        check(LocalModels.BGE, BgeSmallEnV15QuantizedEmbeddingModel::new, 510);
    }

    private void check(String name, Supplier<EmbeddingModel> reference, int maxTokens) {
        assertThat(texts.size()).isGreaterThanOrEqualTo(500);
        EmbeddingModel ref = reference.get();
        var refVectors = new ArrayList<float[]>();
        var refTokens = new ArrayList<Integer>();
        for (String t : texts) {
            // one at a time: embedAll's total is the only token count langchain4j gives
            Response<List<Embedding>> r = ref.embedAll(List.of(TextSegment.from(t)));
            refVectors.add(r.content().get(0).vector());
            refTokens.add(r.tokenUsage().inputTokenCount());
        }
        LocalModels.Embedded ours = models.embed(name, texts);
        double min = 1;
        int longest = 0;
        int identical = 0;
        for (int i = 0; i < texts.size(); i++) {
            double c = cosine(ours.vectors().get(i), refVectors.get(i));
            min = Math.min(min, c);
            identical += java.util.Arrays.equals(ours.vectors().get(i), refVectors.get(i)) ? 1 : 0;
            assertThat(c).as("%s, text %d: %s", name, i, abbreviated(texts.get(i))).isGreaterThanOrEqualTo(0.9999);
            assertThat(ours.vectors().get(i)).hasSize(384);
            longest = Math.max(longest, refTokens.get(i));
        }
        int total = refTokens.stream().mapToInt(Integer::intValue).sum();
        assertThat(ours.tokens()).as(name + " token count").isEqualTo(total);
        // the set reaches the model's limit, so that truncation is compared too
        assertThat(longest).as(name + " longest text, in tokens").isEqualTo(maxTokens);
        // one by one and all at once agree: a text's vector does not depend on the texts it came with
        for (int i = 0; i < texts.size(); i += 97) {
            assertThat(models.embed(name, List.of(texts.get(i))).vectors().get(0)).isEqualTo(ours.vectors().get(i));
        }
        System.out.printf("%s: %d texts, min cosine to langchain4j 1.20 %.9f, %d vectors bit for bit the same%n", name, texts.size(), min, identical);
    }

    private static String abbreviated(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    static double cosine(float[] a, float[] b) {
        double d = 0;
        double x = 0;
        double y = 0;
        for (int i = 0; i < a.length; i++) {
            d += (double) a[i] * b[i];
            x += (double) a[i] * a[i];
            y += (double) b[i] * b[i];
        }
        return d / Math.sqrt(x * y);
    }
}
