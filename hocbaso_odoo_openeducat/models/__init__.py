from . import op_student
from . import op_faculty
from . import op_course
from . import op_academic_year
from . import op_batch
from . import hocbaso_student
from . import hocbaso_class
from . import hocbaso_openeducat_subject_map
