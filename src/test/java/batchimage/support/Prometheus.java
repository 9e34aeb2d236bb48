package batchimage.support;

/** Reads /observe/metrics as a person reading Prometheus' text format would. */
public final class Prometheus {

    private Prometheus() {
    }

    /** The value of the first sample of metric {@code name} whose labels contain {@code label} (null: any), or null. */
    public static Double sample(String text, String name, String label) {
        for (String line : text.lines().toList()) {
            if (line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String key = line.substring(0, space);
            String metric = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
            if (metric.equals(name) && (label == null || key.contains(label))) {
                return Double.parseDouble(line.substring(space + 1));
            }
        }
        return null;
    }
}
