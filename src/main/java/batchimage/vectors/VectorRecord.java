package batchimage.vectors;

import java.util.Map;

/** One record of a namespace: id, dense values, flat metadata (string, double, boolean or list of strings). */
public record VectorRecord(String id, float[] values, Map<String, Object> metadata) {
}
