// goproxy: the Go standard library's reverse proxy, as a peer in Sluice's benchmark.
//
//	goproxy -listen 127.0.0.1:18081 -backend http://127.0.0.1:18080
//	goproxy -listen 127.0.0.1:18443 -cert cert.pem -key key.pem ...   (TLS 1.3; h2 and http/1.1)
//
// httputil.ReverseProxy with a Transport tuned for one busy upstream: a large idle pool
// (MaxIdleConnsPerHost 256 by default), no compression, no HTTP/2, pooled copy buffers,
// no logging. With -cert and -key it serves TLS 1.3 only, and net/http offers ALPN h2 and
// http/1.1 (HTTP/2 served by the standard library); session tickets stay on (Go's default). GOMAXPROCS follows the CPU affinity bench/run gives it (taskset).
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte  { return *(b.p.Get().(*[]byte)) }
func (b *bufferPool) Put(x []byte) { b.p.Put(&x) }

func main() {
	listen := flag.String("listen", "127.0.0.1:18081", "address to listen on")
	backend := flag.String("backend", "http://127.0.0.1:18080", "upstream URL")
	maxIdle := flag.Int("max-idle-per-host", 256, "Transport.MaxIdleConnsPerHost")
	certFile := flag.String("cert", "", "PEM certificate: serve TLS 1.3 (with -key)")
	keyFile := flag.String("key", "", "PEM private key for -cert")
	flag.Parse()

	target, err := url.Parse(*backend)
	if err != nil {
		log.Fatalf("bad -backend: %v", err)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		MaxIdleConns:          *maxIdle * 4,
		MaxIdleConnsPerHost:   *maxIdle,
		IdleConnTimeout:       120 * time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = transport
	proxy.BufferPool = &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
	proxy.ErrorLog = log.New(io.Discard, "", 0)

	srv := &http.Server{
		Addr:              *listen,
		Handler:           proxy,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	var err2 error
	if *certFile != "" {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS13}
		err2 = srv.ListenAndServeTLS(*certFile, *keyFile)
	} else {
		err2 = srv.ListenAndServe()
	}
	if err := err2; err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
