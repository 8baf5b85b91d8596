select 1; select 'a;b' -- c;
; /* x; */ select $$;$$