/*
 * shop.c - deterministic generator for the sample shop (see shop.h).
 */
#include "sample/shop.h"

#include "base/err.h"
#include "warehouse/warehouse.h"

#include <stdint.h>
#include <stdio.h>

static const char *const first_names[] = {
    "Ada", "Ben", "Chloe", "Dmitri", "Eun-ji", "Farah", "Gustav", "Hana", "Ivan", "Jia",
    "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe"};
static const char *const last_names[] = {
    "Kim", "Smith", "Garcia", "Nguyen", "Müller", "Rossi", "Okafor", "Tanaka", "Silva",
    "Novak", "Dubois", "Haddad", "Park", "Larsen", "Kowalski", "Singh", "Lee", "Moreau"};
static const struct {
    const char *city, *region;
} cities[] = {
    {"Seoul", "APAC"},   {"Tokyo", "APAC"},     {"Sydney", "APAC"},    {"Berlin", "EMEA"},
    {"Paris", "EMEA"},   {"Lagos", "EMEA"},     {"Madrid", "EMEA"},    {"New York", "AMER"},
    {"Toronto", "AMER"}, {"São Paulo", "AMER"}, {"Chicago", "AMER"},   {"Mumbai", "APAC"}};
static const char *const segments[] = {"consumer", "consumer", "consumer", "small business",
                                       "enterprise"};
static const struct {
    const char *category;
    const char *items[6];
    int base_cents;
} catalog[] = {
    {"Coffee", {"Espresso Beans", "Filter Roast", "Decaf Blend", "Cold Brew Pack", "Single Origin",
                "Holiday Blend"}, 1400},
    {"Tea", {"Green Sencha", "Earl Grey", "Chai Spice", "Chamomile", "Oolong", "Matcha"}, 900},
    {"Equipment", {"Pour-over Kettle", "Burr Grinder", "French Press", "Scale", "Moka Pot",
                   "Milk Frother"}, 4500},
    {"Bakery", {"Croissant Box", "Sourdough Loaf", "Cinnamon Rolls", "Bagel Pack", "Muffin Set",
                "Biscotti"}, 700},
    {"Merch", {"Mug", "Tote Bag", "T-shirt", "Travel Cup", "Cap", "Sticker Pack"}, 1800},
    {"Gifts", {"Tasting Set", "Gift Card", "Subscription Box", "Brew Kit", "Tea Sampler",
               "Barista Course"}, 3500},
    {"Syrups", {"Vanilla Syrup", "Caramel Syrup", "Hazelnut Syrup", "Maple Syrup", "Mint Syrup",
                "Lavender Syrup"}, 600},
    {"Snacks", {"Dark Chocolate", "Almonds", "Granola", "Shortbread", "Trail Mix", "Rice Crackers"},
     450},
    {"Dairy-free", {"Oat Milk", "Almond Milk", "Soy Milk", "Coconut Milk", "Cashew Milk",
                    "Pea Milk"}, 350},
    {"Accessories", {"Filters", "Cleaning Tablets", "Tamper", "Knock Box", "Dosing Cup",
                     "Storage Canister"}, 1200},
};
static const char *const statuses[] = {"completed", "completed", "completed", "completed",
                                       "completed", "completed", "shipped", "shipped",
                                       "cancelled", "returned"};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define DAY_2023_01_01 19358 /* days since 1970-01-01 */

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned pick(uint64_t *s, unsigned n)
{
    return (unsigned)(next(s) % n);
}

/* Append an amount of cents as DECIMAL(12,2), exactly. */
static void append_cents(duckdb_appender app, int64_t c)
{
    duckdb_decimal d = {.width = 12, .scale = 2, .value = {.lower = (uint64_t)c, .upper = 0}};
    duckdb_value v = duckdb_create_decimal(d);
    duckdb_append_value(app, v);
    duckdb_destroy_value(&v);
}

static int append_fail(duckdb_appender app, const char *table, struct pd_err *err)
{
    return pd_fail(err, PD_EINTERNAL, "loading sample table '%s': %s", table,
                   duckdb_appender_error(app));
}

static int load_customers(duckdb_connection conn, uint64_t *s, struct pd_err *err)
{
    duckdb_appender app;
    char name[64], email[96];
    int rc = 0;

    if (duckdb_appender_create(conn, "main", "customers", &app) == DuckDBError)
        return append_fail(app, "customers", err);
    for (int i = 1; i <= PD_SHOP_CUSTOMERS && rc == 0; i++) {
        const char *f = first_names[pick(s, N(first_names))];
        const char *l = last_names[pick(s, N(last_names))];
        unsigned c = pick(s, N(cities));
        snprintf(name, sizeof(name), "%s %s", f, l);
        snprintf(email, sizeof(email), "customer%d@example.com", i);
        duckdb_append_int32(app, i);
        duckdb_append_varchar(app, name);
        duckdb_append_varchar(app, email);
        duckdb_append_varchar(app, cities[c].city);
        duckdb_append_varchar(app, cities[c].region);
        duckdb_append_varchar(app, segments[pick(s, N(segments))]);
        duckdb_append_date(app, (duckdb_date){DAY_2023_01_01 - 730 + (int32_t)pick(s, 1095)});
        if (duckdb_appender_end_row(app) == DuckDBError)
            rc = append_fail(app, "customers", err);
    }
    if (rc == 0 && duckdb_appender_close(app) == DuckDBError)
        rc = append_fail(app, "customers", err);
    duckdb_appender_destroy(&app);
    return rc;
}

static int product_price(int id)
{
    int cat = (id - 1) / 6, item = (id - 1) % 6;
    /* Prices end in .49/.99 around the category's base price. */
    int base = catalog[cat].base_cents + item * catalog[cat].base_cents / 5;
    return base / 100 * 100 + (item % 2 ? 99 : 49);
}

static int load_products(duckdb_connection conn, struct pd_err *err)
{
    duckdb_appender app;
    int rc = 0;

    if (duckdb_appender_create(conn, "main", "products", &app) == DuckDBError)
        return append_fail(app, "products", err);
    for (int id = 1; id <= PD_SHOP_PRODUCTS && rc == 0; id++) {
        int cat = (id - 1) / 6;
        duckdb_append_int32(app, id);
        duckdb_append_varchar(app, catalog[cat].items[(id - 1) % 6]);
        duckdb_append_varchar(app, catalog[cat].category);
        append_cents(app, product_price(id));
        if (duckdb_appender_end_row(app) == DuckDBError)
            rc = append_fail(app, "products", err);
    }
    if (rc == 0 && duckdb_appender_close(app) == DuckDBError)
        rc = append_fail(app, "products", err);
    duckdb_appender_destroy(&app);
    return rc;
}

static int load_orders(duckdb_connection conn, uint64_t *s, struct pd_err *err)
{
    duckdb_appender orders, items;
    int rc = 0;

    if (duckdb_appender_create(conn, "main", "orders", &orders) == DuckDBError)
        return append_fail(orders, "orders", err);
    if (duckdb_appender_create(conn, "main", "order_items", &items) == DuckDBError) {
        rc = append_fail(items, "order_items", err);
        duckdb_appender_destroy(&orders);
        return rc;
    }
    for (int id = 1; id <= PD_SHOP_ORDERS && rc == 0; id++) {
        /* Orders grow over the two years: later days are more likely. */
        unsigned a = pick(s, 731), b = pick(s, 731);
        int32_t day = DAY_2023_01_01 + (int32_t)(a > b ? a : b);
        int lines = 1 + (int)pick(s, 4);
        int64_t total = 0;
        for (int l = 1; l <= lines && rc == 0; l++) {
            int product = 1 + (int)pick(s, PD_SHOP_PRODUCTS);
            int qty = 1 + (int)pick(s, 3) + (pick(s, 10) == 0 ? 5 : 0);
            int price = product_price(product);
            total += (int64_t)qty * price;
            duckdb_append_int32(items, id);
            duckdb_append_int32(items, l);
            duckdb_append_int32(items, product);
            duckdb_append_int32(items, qty);
            append_cents(items, price);
            if (duckdb_appender_end_row(items) == DuckDBError)
                rc = append_fail(items, "order_items", err);
        }
        duckdb_append_int32(orders, id);
        duckdb_append_int32(orders, 1 + (int)pick(s, PD_SHOP_CUSTOMERS));
        duckdb_append_date(orders, (duckdb_date){day});
        duckdb_append_varchar(orders, statuses[pick(s, N(statuses))]);
        append_cents(orders, total);
        if (rc == 0 && duckdb_appender_end_row(orders) == DuckDBError)
            rc = append_fail(orders, "orders", err);
    }
    if (rc == 0 && duckdb_appender_close(items) == DuckDBError)
        rc = append_fail(items, "order_items", err);
    if (rc == 0 && duckdb_appender_close(orders) == DuckDBError)
        rc = append_fail(orders, "orders", err);
    duckdb_appender_destroy(&items);
    duckdb_appender_destroy(&orders);
    return rc;
}

int pd_shop_load(duckdb_connection conn, int *loaded, struct pd_err *err)
{
    uint64_t seed = 20240101;
    duckdb_result res;
    int exists, rc;

    *loaded = 0;
    if (duckdb_query(conn,
                     "SELECT 1 FROM information_schema.tables "
                     "WHERE table_schema = 'main' AND table_name = 'orders'",
                     &res) == DuckDBError) {
        rc = pd_fail(err, PD_EINTERNAL, "%s", duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        return rc;
    }
    duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
    exists = chunk && duckdb_data_chunk_get_size(chunk) > 0;
    duckdb_destroy_data_chunk(&chunk);
    duckdb_destroy_result(&res);
    if (exists)
        return 0;

    rc = pd_exec(conn,
                 "BEGIN;"
                 "CREATE TABLE main.customers (customer_id INTEGER PRIMARY KEY, name VARCHAR NOT "
                 "NULL, email VARCHAR NOT NULL, city VARCHAR, region VARCHAR, segment VARCHAR, "
                 "signup_date DATE);"
                 "CREATE TABLE main.products (product_id INTEGER PRIMARY KEY, name VARCHAR NOT "
                 "NULL, category VARCHAR NOT NULL, unit_price DECIMAL(12,2) NOT NULL);"
                 "CREATE TABLE main.orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER NOT "
                 "NULL, order_date DATE NOT NULL, status VARCHAR NOT NULL, amount DECIMAL(12,2) "
                 "NOT NULL);"
                 "CREATE TABLE main.order_items (order_id INTEGER NOT NULL, line_no INTEGER NOT "
                 "NULL, product_id INTEGER NOT NULL, quantity INTEGER NOT NULL, unit_price "
                 "DECIMAL(12,2) NOT NULL, PRIMARY KEY (order_id, line_no));",
                 err);
    if (rc == 0)
        rc = load_customers(conn, &seed, err);
    if (rc == 0)
        rc = load_products(conn, err);
    if (rc == 0)
        rc = load_orders(conn, &seed, err);
    if (rc == 0)
        rc = pd_exec(conn, "COMMIT", err);
    if (rc) {
        pd_exec(conn, "ROLLBACK", NULL);
        return rc;
    }
    *loaded = 1;
    return 0;
}
