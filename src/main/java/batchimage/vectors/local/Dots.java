package batchimage.vectors.local;

import org.slf4j.LoggerFactory;

/**
 * Dot products for the local index: of int8 codes ({@link ExactScan}) and of float vectors (the HNSW
 * graph, {@link SimdVectorsFormat}). With the JDK's vector API ({@code --add-modules jdk.incubator.vector},
 * as bin/batch-image starts Java) and 256-bit registers they are SIMD, several times faster than the
 * plain loops (384 dimensions on the reference machine: int8 25 ns instead of 190, float 37 ns instead of
 * 290); Lucene 9 itself uses SIMD only from Java 20 on.
 */
interface Dots {

    /** The dot product of {@code a[aOffset, aOffset + q.length)} and {@code q}. */
    int int8(byte[] a, int aOffset, byte[] q);

    /**
     * Four int8 dot products with the same {@code q}, into {@code out[0..3]}. Reading four vectors at
     * once lets the memory fetches of scattered vectors overlap (a third faster than one at a time).
     */
    default void int8x4(byte[] a, int o0, int o1, int o2, int o3, byte[] q, int[] out) {
        out[0] = int8(a, o0, q);
        out[1] = int8(a, o1, q);
        out[2] = int8(a, o2, q);
        out[3] = int8(a, o3, q);
    }

    /** The dot product of two float vectors of the same length. */
    float floats(float[] a, float[] b);

    /** Whether this is the SIMD implementation. */
    boolean simd();

    /** The best implementation this JVM offers. */
    static Dots best() {
        return Holder.BEST;
    }

    /** The plain loops, with independent sums so that the CPU can overlap them. */
    final class Scalar implements Dots {
        @Override
        public int int8(byte[] a, int o, byte[] q) {
            int s0 = 0;
            int s1 = 0;
            int s2 = 0;
            int s3 = 0;
            int n = q.length;
            int i = 0;
            for (; i + 3 < n; i += 4) {
                s0 += a[o + i] * q[i];
                s1 += a[o + i + 1] * q[i + 1];
                s2 += a[o + i + 2] * q[i + 2];
                s3 += a[o + i + 3] * q[i + 3];
            }
            for (; i < n; i++) {
                s0 += a[o + i] * q[i];
            }
            return s0 + s1 + s2 + s3;
        }

        @Override
        public float floats(float[] a, float[] b) {
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            int n = a.length;
            int i = 0;
            for (; i + 3 < n; i += 4) {
                s0 += a[i] * b[i];
                s1 += a[i + 1] * b[i + 1];
                s2 += a[i + 2] * b[i + 2];
                s3 += a[i + 3] * b[i + 3];
            }
            for (; i < n; i++) {
                s0 += a[i] * b[i];
            }
            return s0 + s1 + s2 + s3;
        }

        @Override
        public boolean simd() {
            return false;
        }
    }

    final class Holder {
        static final Dots BEST = choose();

        private Holder() {
        }

        private static Dots choose() {
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                LoggerFactory.getLogger(Dots.class).info(
                        "local index without SIMD: start Java with --add-modules jdk.incubator.vector (bin/batch-image does) for several times faster vector comparisons");
                return new Scalar();
            }
            try {
                // loaded only when the module is there: its classes would not resolve otherwise
                Dots simd = (Dots) Class.forName("batchimage.vectors.local.PanamaDots").getDeclaredConstructor().newInstance();
                return simd.simd() ? simd : new Scalar();
            } catch (ReflectiveOperationException | LinkageError e) {
                LoggerFactory.getLogger(Dots.class).warn("the vector API is there but unusable ({}): local index without SIMD", e.toString());
                return new Scalar();
            }
        }
    }
}
