module sluice.bench/tlsload

go 1.19
