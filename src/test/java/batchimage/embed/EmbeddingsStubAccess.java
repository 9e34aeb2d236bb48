package batchimage.embed;

/** Lets tests of other packages answer in OpenAI's shape. */
public final class EmbeddingsStubAccess {

    private EmbeddingsStubAccess() {
    }

    public static String answer(String requestBody, int dims) {
        return EmbeddingsStub.answer(requestBody, dims);
    }
}
