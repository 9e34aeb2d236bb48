package batchimage.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Every setting of batch-image, resolved once: application.properties defaults, then a .env file,
 * then environment variables (key upper-cased, '.' and '-' as '_'), then explicit overrides.
 */
public final class Settings {

    private final Map<String, String> values;
    private final Path home;

    private Settings(Map<String, String> values, Path home) {
        this.values = Map.copyOf(values);
        this.home = home;
    }

    /** Loads the settings seen from {@code home} (the folder with application.properties and routes/). */
    public static Settings load(Path home, Map<String, String> environment, Map<String, String> overrides) {
        var merged = new LinkedHashMap<String, String>();
        var defaults = new Properties();
        Path file = home.resolve("application.properties");
        try {
            if (Files.isRegularFile(file)) {
                try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    defaults.load(in);
                }
            } else {
                try (InputStream in = Settings.class.getResourceAsStream("/application.properties")) {
                    if (in != null) {
                        defaults.load(in);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
        defaults.stringPropertyNames().forEach(k -> merged.put(k, isSecret(k) ? "" : defaults.getProperty(k).trim()));
        defaults.stringPropertyNames().stream().filter(k -> isSecret(k) && !defaults.getProperty(k).isBlank()).forEach(k ->
                org.slf4j.LoggerFactory.getLogger(Settings.class).warn(
                        "{} in {} is ignored: secrets come only from the environment or .env ({})", k, file, envName(k)));

        var dotEnv = readDotEnv(Path.of(".env"));
        for (var key : Map.copyOf(merged).keySet()) {
            String env = envName(key);
            if (dotEnv.containsKey(env)) {
                merged.put(key, dotEnv.get(env));
            }
            if (environment.containsKey(env)) {
                merged.put(key, environment.get(env));
            }
        }
        merged.putAll(overrides);
        return new Settings(merged, home);
    }

    /** Environment variable name of a settings key: {@code batch-image.data} is {@code BATCH_IMAGE_DATA}. */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    static Map<String, String> readDotEnv(Path file) {
        var out = new LinkedHashMap<String, String>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#") || !l.contains("=")) {
                    continue;
                }
                if (l.startsWith("export ")) {
                    l = l.substring(7).strip();
                }
                String k = l.substring(0, l.indexOf('=')).strip();
                String v = l.substring(l.indexOf('=') + 1).strip();
                if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
                    v = v.substring(1, v.length() - 1);
                }
                out.put(k, v);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return out;
    }

    public String get(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("unknown setting '" + key + "' (not in application.properties)");
        }
        return v;
    }

    public int getInt(String key) {
        String v = get(key);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + " (" + envName(key) + ") must be a whole number, found '" + v + "'");
        }
    }

    public long getLong(String key) {
        String v = get(key);
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + " (" + envName(key) + ") must be a whole number, found '" + v + "'");
        }
    }

    public boolean getBoolean(String key) {
        return Boolean.parseBoolean(get(key).trim());
    }

    public Path home() {
        return home;
    }

    public Path dataDir() {
        return Path.of(get("batch-image.data")).toAbsolutePath().normalize();
    }

    public Path routesDir() {
        return home.resolve("routes").toAbsolutePath().normalize();
    }

    /** Keys that hold secrets: never read from application.properties, never handed to Camel or logged. */
    public static boolean isSecret(String key) {
        return key.endsWith("api-key") || key.endsWith("password") || key.endsWith(".secret");
    }

    /** All settings but the secrets, for Camel's property placeholders. */
    public Properties asProperties() {
        var p = new Properties();
        values.forEach((k, v) -> {
            if (!isSecret(k)) {
                p.setProperty(k, v);
            }
        });
        p.setProperty("batch-image.data", dataDir().toString());
        return p;
    }

    public Settings with(String key, String value) {
        var copy = new LinkedHashMap<>(values);
        copy.put(key, value);
        return new Settings(copy, home);
    }
}
