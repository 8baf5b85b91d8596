/*
 * shop.h - the sample "shop" dataset that `pluto-duck init` loads.
 *
 * Generated here, deterministically (a fixed-seed PRNG, no downloaded data):
 * main.customers (500), main.products (60), main.orders (3,000, 2023-2024) and
 * main.order_items (~7,500). The same build always produces the same rows, so
 * tests and docs can quote exact figures.
 */
#ifndef PD_SHOP_H
#define PD_SHOP_H

#include <duckdb.h>

struct pd_err;

#define PD_SHOP_CUSTOMERS 500
#define PD_SHOP_PRODUCTS 60
#define PD_SHOP_ORDERS 3000

/*
 * Create and fill the shop tables in schema main, in one transaction. When
 * main.orders exists already nothing is touched and *loaded is 0.
 */
int pd_shop_load(duckdb_connection conn, int *loaded, struct pd_err *err);

#endif
