package batchimage.localindex;

import org.slf4j.LoggerFactory;

/**
 * Dot products of int8 vectors for {@link ExactScan}. With the JDK's vector API
 * ({@code --add-modules jdk.incubator.vector}, as bin/batch-image starts Java) and 256-bit registers
 * this is SIMD (about 25 ns for 384 dimensions on the reference machine); otherwise a plain loop (about
 * 190 ns).
 */
interface Int8Dot {

    /** The dot product of {@code a[aOffset, aOffset + q.length)} and {@code q}. */
    int dot(byte[] a, int aOffset, byte[] q);

    /**
     * Four dot products with the same {@code q}, into {@code out[0..3]}. Reading four vectors at once lets
     * the memory fetches of scattered vectors overlap (a third faster than one at a time).
     */
    default void dot4(byte[] a, int o0, int o1, int o2, int o3, byte[] q, int[] out) {
        out[0] = dot(a, o0, q);
        out[1] = dot(a, o1, q);
        out[2] = dot(a, o2, q);
        out[3] = dot(a, o3, q);
    }

    /** Whether this is the SIMD implementation. */
    boolean simd();

    /** The best implementation this JVM offers. */
    static Int8Dot best() {
        return Holder.BEST;
    }

    /** The plain loop, with independent sums so that the CPU can overlap them. */
    final class Scalar implements Int8Dot {
        @Override
        public int dot(byte[] a, int o, byte[] q) {
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
        public boolean simd() {
            return false;
        }
    }

    final class Holder {
        static final Int8Dot BEST = choose();

        private Holder() {
        }

        private static Int8Dot choose() {
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                LoggerFactory.getLogger(Int8Dot.class).info(
                        "exact filtered search without SIMD: start Java with --add-modules jdk.incubator.vector (bin/batch-image does) for about 7x faster scans");
                return new Scalar();
            }
            try {
                // loaded only when the module is there: its classes would not resolve otherwise
                Int8Dot simd = (Int8Dot) Class.forName("batchimage.localindex.PanamaInt8Dot").getDeclaredConstructor().newInstance();
                return simd.simd() ? simd : new Scalar();
            } catch (ReflectiveOperationException | LinkageError e) {
                LoggerFactory.getLogger(Int8Dot.class).warn("the vector API is there but unusable ({}): exact filtered search without SIMD", e.toString());
                return new Scalar();
            }
        }
    }
}
