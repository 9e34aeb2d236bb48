import batchimage.store.Database;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

/** Prints the first column of the first row of a query against a data folder's embedded PostgreSQL. Usage: BenchSql DATA_DIR SQL */
public final class BenchSql {
    public static void main(String[] args) throws Exception {
        try (Database db = Database.open("", Path.of(args[0]), 1);
             Connection c = db.dataSource().getConnection();
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(args[1])) {
            System.out.println(rs.next() ? rs.getString(1) : "");
        }
    }
}
