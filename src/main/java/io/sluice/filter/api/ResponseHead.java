package io.sluice.filter.api;

/** The response head on its way to the client. */
public interface ResponseHead {

    int status();

    /** Changes the status (the reason phrase follows it). */
    void setStatus(int status);

    Headers headers();
}
